import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { api, type Explanation, type HistoryPlay, type Preference, type RecommendedItem } from "../api.js";
import { href } from "../router.js";
import { byLine, Chart, fixed, html, percent, Show, seconds, Table, useAsync } from "../ui.js";
import { UserForm } from "./user-form.js";

/** One listener: what they played, what they get and why, what they taught, who listens alike. */
export function ListenerPage({ user }: { user?: string }) {
  return html`<section aria-labelledby="listener-title">
    <h1 id="listener-title">Listener ${user ? html`<span class="accent">${user}</span>` : ""}</h1>
    <${UserForm} page="listener" user=${user} />
    ${user ? html`<${Listener} key=${user} user=${user} />` : html`<p class="muted">Type a user id, or pick one on the overview.</p>`}
  </section>`;
}

function Listener({ user }: { user: string }) {
  const [history] = useAsync(() => api.history(user, 100), [user]);
  const [recs, reloadRecs] = useAsync(() => api.recommendations(user, 10), [user]);
  const [similar] = useAsync(() => api.similarUsers(user, 8), [user]);
  const [explained, setExplained] = useState<string | null>(null);
  return html`<div class="grid">
    <div class="card wide">
      <h2>Recommendations</h2>
      <${Show} value=${recs} body=${(r: { source: string; model: string; items: RecommendedItem[] }) => html`
        <p class="muted">From model ${r.model} (source ${r.source}). Pick one to see why.</p>
        <${Table}
          caption="Top items for this listener, with the probability of a play past the threshold"
          rows=${r.items}
          columns=${[
            {
              label: "title",
              cell: (i: RecommendedItem) =>
                html`<button type="button" class="link" aria-expanded=${explained === i.item} onClick=${() => setExplained(explained === i.item ? null : i.item)}>${i.title}</button>`,
            },
            { label: "by", cell: (i: RecommendedItem) => byLine(i.creators) },
            { label: "affinity", numeric: true, cell: (i: RecommendedItem) => fixed(i.affinity) },
            {
              label: "why else",
              cell: (i: RecommendedItem) =>
                [...(i.preferences ?? []), i.context?.detail].filter(Boolean).join("; ") || "–",
            },
          ]}
        />
        ${explained && html`<${Explain} user=${user} item=${explained} />`}`} />
    </div>
    <div class="card">
      <h2>Listens alike</h2>
      <p class="muted"><a href=${href("taste", user)}>Taste profile, playlists and a Blend</a></p>
      <${Show} value=${similar} body=${(s: {
        users: Array<{ user: string; similarity: number }>;
      }) => html`<${Table}
        caption="Users whose taste vectors point the same way (cosine)"
        empty="The model does not know this listener yet."
        rows=${s.users}
        columns=${[
          {
            label: "user",
            cell: (r: { user: string }) => html`<a href=${href("listener", r.user)}>${r.user}</a>`,
          },
          { label: "similarity", numeric: true, cell: (r: { similarity: number }) => fixed(r.similarity) },
        ]}
      />`} />
    </div>
    <div class="card">
      <h2>Taught preferences</h2>
      <${Preferences} user=${user} onChange=${reloadRecs} />
    </div>
    <div class="card wide">
      <h2>History</h2>
      <${Show} value=${history} body=${(h: { plays: HistoryPlay[] }) => html`<${HistoryView} plays=${h.plays} />`} />
    </div>
  </div>`;
}

function HistoryView({ plays }: { plays: HistoryPlay[] }) {
  if (plays.length === 0) return html`<p class="muted">No plays stored for this user.</p>`;
  const skips = plays.filter((p) => p.skip).length;
  return html`
    <${Chart}
      deps=${[plays]}
      caption=${`Latest ${plays.length} plays by how long they lasted; ${skips} were shorter than the skip threshold (orange).`}
      draw=${() =>
        Plot.plot({
          height: 180,
          marginLeft: 50,
          x: { type: "utc", label: null },
          y: { label: "played (s)", grid: true },
          color: { domain: [false, true], range: ["#3b6fd8", "#e08a1e"] },
          marks: [
            Plot.dot(plays, {
              x: (p: HistoryPlay) => new Date(p.endTime),
              y: (p: HistoryPlay) => p.playedMs / 1000,
              fill: "skip",
              r: 3,
              title: (p: HistoryPlay) => `${p.title}: ${seconds(p.playedMs)}`,
            }),
          ],
        })}
    />
    <${Table}
      caption="Latest plays, newest first"
      rows=${plays.slice(0, 25)}
      columns=${[
        { label: "when", cell: (p: HistoryPlay) => p.endTime.replace("T", " ").slice(0, 16) },
        { label: "title", cell: (p: HistoryPlay) => p.title },
        { label: "by", cell: (p: HistoryPlay) => byLine(p.creators) },
        { label: "played", numeric: true, cell: (p: HistoryPlay) => seconds(p.playedMs) },
        { label: "of the item", numeric: true, cell: (p: HistoryPlay) => percent(p.completion) },
        { label: "", cell: (p: HistoryPlay) => (p.skip ? html`<span class="tag skip">skip</span>` : "") },
        { label: "asked", cell: (p: HistoryPlay) => p.requestText ?? "" },
      ]}
    />`;
}

function Explain({ user, item }: { user: string; item: string }) {
  const [why] = useAsync(() => api.explain(user, item), [user, item]);
  return html`<div class="explain" aria-live="polite"><${Show} value=${why} body=${(e: Explanation) => html`
    <h3>Why ${item}</h3>
    <p>Affinity ${fixed(e.affinity)} (${e.source}): own history ${e.history.plays} plays averaging ${fixed(e.history.mean)},
      factorization ${fixed(e.mf)}.</p>
    <${Table}
      caption="Plays behind it: the listener's items most like this one"
      rows=${e.becauseOf}
      empty="No plays of similar items."
      columns=${[
        { label: "item", cell: (b: Explanation["becauseOf"][number]) => b.item },
        {
          label: "similarity",
          numeric: true,
          cell: (b: Explanation["becauseOf"][number]) => fixed(b.similarity),
        },
        { label: "history", numeric: true, cell: (b: Explanation["becauseOf"][number]) => fixed(b.history) },
        { label: "pull", numeric: true, cell: (b: Explanation["becauseOf"][number]) => fixed(b.pull) },
      ]}
    />`} /></div>`;
}

function Preferences({ user, onChange }: { user: string; onChange: () => void }) {
  const [prefs, reload] = useAsync(() => api.preferences(user), [user]);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      reload();
      onChange();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return html`
    <${Show} value=${prefs} body=${(p: { preferences: Preference[] }) => html`<ul class="plain">
      ${p.preferences.length === 0 && html`<li class="muted">None taught.</li>`}
      ${p.preferences.map(
        (f) => html`<li>${f.description}${f.active ? "" : " (expired)"}
        <button type="button" class="small" aria-label=${`forget: ${f.description}`} onClick=${() => act(() => api.forget(user, f.id))}>forget</button></li>`,
      )}
    </ul>`} />
    <form class="inline" onSubmit=${(e: Event) => {
      e.preventDefault();
      if (text.trim()) act(() => api.teach(user, text.trim()).then(() => setText("")));
    }}>
      <label>teach <input value=${text} placeholder="I don't like country" onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} /></label>
      <button type="submit">Add</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}`;
}
