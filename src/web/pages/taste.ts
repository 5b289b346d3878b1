import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import {
  api,
  type Blend,
  type BlendAttributes,
  blendPolicies,
  type Playlist,
  type PlaylistKind,
  type SimilarCreators,
  type TasteProfile,
  type WeightedName,
} from "../api.js";
import { href } from "../router.js";
import { Bars, byLine, Chart, fixed, html, percent, Show, Stat, Table, useAsync } from "../ui.js";
import { PlaylistEvidence } from "./taste-evidence.js";
import { PoolsView } from "./taste-pools.js";
import { UserForm } from "./user-form.js";

/** The taste space for one listener: who and what they like, a playlist from it, creators alike, a Blend. */
export function TastePage({ user }: { user?: string }) {
  return html`<section aria-labelledby="taste-title">
    <h1 id="taste-title">Taste and playlists ${user ? html`<span class="accent">${user}</span>` : ""}</h1>
    <${UserForm} page="taste" user=${user} />
    ${user ? html`<${Taste} key=${user} user=${user} />` : html`<p class="muted">Type a user id, or pick one on the overview.</p>`}
  </section>`;
}

function Taste({ user }: { user: string }) {
  const [profile] = useAsync(() => api.taste(user), [user]);
  return html`<${Show} value=${profile} body=${(p: TasteProfile) => html`<div class="grid">
    <div class="card wide">
      <h2>Taste profile</h2>
      <${Profile} p=${p} />
    </div>
    <div class="card wide">
      <h2>A playlist</h2>
      <${PlaylistView} user=${user} seedCreator=${p.topCreators[0]?.name} />
    </div>
    <div class="card">
      <h2>Creators alike</h2>
      <${CreatorsAlike} creators=${p.topCreators.slice(0, 8).map((c) => c.name)} />
    </div>
    <div class="card">
      <h2>Blend with a listener alike</h2>
      <${BlendView} user=${user} />
    </div>
    <div class="card wide">
      <h2>Editors' pools, ranked for this listener</h2>
      <${PoolsView} user=${user} />
    </div>
    <div class="card wide">
      <h2>How good are the playlists? Held-out evidence</h2>
      <${PlaylistEvidence} />
    </div>
  </div>`} />`;
}

const weights = (names: WeightedName[]) => names.slice(0, 8).map((n) => ({ label: n.name, value: n.weight }));

function Profile({ p }: { p: TasteProfile }) {
  const top = (xs: WeightedName[]) =>
    xs
      .slice(0, 3)
      .map((x) => x.name)
      .join(", ");
  return html`<div class="stats">
      <${Stat} id="taste-plays" label="plays" value=${p.plays} />
      <${Stat} id="taste-items" label="distinct items" value=${p.items} />
      <${Stat} id="taste-liked" label="items liked" value=${p.liked} />
      <${Stat} id="taste-adventurous" label="adventurous (new per liked play)" value=${percent(p.adventurous)} />
      <${Stat} id="taste-landed" label="new items that landed" value=${percent(p.landed)} />
    </div>
    ${p.adventurousPercentile !== null && html`<p class="muted">More adventurous than ${percent(p.adventurousPercentile)} of the model's listeners.</p>`}
    <div class="grid">
      <div><${Bars} rows=${weights(p.topCreators)} xLabel="weight" colour="#3b6fd8"
        caption=${`Top creators (${top(p.topCreators) || "none"}) by the weight of this listener's history (long plays count up, skips down).`} /></div>
      <div><${Bars} rows=${weights(p.topTags)} xLabel="weight" colour="#e08a1e"
        caption=${`Top tags (${top(p.topTags) || "none"}) by the same weight.`} /></div>
    </div>`;
}

const kindWords: Record<PlaylistKind, string> = {
  discover: "Discover (new to the listener)",
  mix: "Mix (half familiar)",
  radio: "Radio (around the top creator)",
};

function PlaylistView({ user, seedCreator }: { user: string; seedCreator?: string }) {
  const [kind, setKind] = useState<PlaylistKind>("mix");
  const [list] = useAsync(
    () => api.playlist(user, kind, 20, kind === "radio" ? seedCreator : undefined),
    [user, kind],
  );
  return html`<form class="inline" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>kind
        <select name="kind" value=${kind} onChange=${(e: Event) => setKind((e.target as HTMLSelectElement).value as PlaylistKind)}>
          ${(Object.keys(kindWords) as PlaylistKind[]).map((k) => html`<option value=${k} disabled=${k === "radio" && !seedCreator}>${kindWords[k]}</option>`)}
        </select>
      </label>
    </form>
    <${Show} value=${list} body=${(l: Playlist) => html`<${PlaylistBody} l=${l} />`} />`;
}

type Track = Playlist["tracks"][number];

function PlaylistBody({ l }: { l: Playlist }) {
  const s = l.summary;
  const points = l.tracks.map((t, k) => ({ ...t, position: k + 1, what: t.familiar ? "familiar" : "new" }));
  return html`<p class="muted">${l.kind}${l.seed ? ` around ${l.seed}` : ""}, from model ${l.model} (source ${l.source}).</p>
    <div class="stats">
      <${Stat} id="playlist-diversity" label="diversity (1 - mean cosine)" value=${fixed(s.diversity, 2)} />
      <${Stat} id="playlist-coherence" label="coherence (next-track cosine)" value=${fixed(s.coherence, 2)} />
      <${Stat} label="familiar share" value=${percent(s.familiarShare)} />
      <${Stat} label="creators per track" value=${fixed(s.artistCoverage, 2)} />
    </div>
    <${Chart}
      deps=${[l]}
      caption=${`Predicted relevance of each of the ${l.tracks.length} tracks in playing order, familiar ones in blue and new ones in orange; ordering lifted next-track coherence from ${fixed(s.coherenceUnordered, 2)} to ${fixed(s.coherence, 2)}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 200,
          x: { label: "position" },
          y: { label: "relevance", grid: true, domain: [0, 1] },
          color: { legend: true, domain: ["familiar", "new"], range: ["#3b6fd8", "#e08a1e"] },
          marks: [
            Plot.barY(points, { x: "position", y: "relevance", fill: "what", tip: true, title: "title" }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="The playlist in order, with the reason for each track"
      rows=${l.tracks}
      columns=${[
        { label: "title", cell: (t: Track) => html`<span data-track>${t.title}</span>` },
        { label: "by", cell: (t: Track) => byLine(t.creators) },
        { label: "", cell: (t: Track) => (t.familiar ? html`<span class="tag">familiar</span>` : "") },
        { label: "relevance", numeric: true, cell: (t: Track) => fixed(t.relevance) },
        { label: "why", cell: (t: Track) => t.reason },
      ]}
    />`;
}

function CreatorsAlike({ creators }: { creators: string[] }) {
  const [creator, setCreator] = useState(creators[0] ?? "");
  const [similar] = useAsync(
    () => (creator ? api.similarCreators(creator, 8) : Promise.resolve(null)),
    [creator],
  );
  if (!creators.length) return html`<p class="muted">No creators in this listener's history.</p>`;
  return html`<form class="inline" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>creator
        <select name="creator" value=${creator} onChange=${(e: Event) => setCreator((e.target as HTMLSelectElement).value)}>
          ${creators.map((c) => html`<option value=${c}>${c}</option>`)}
        </select>
      </label>
    </form>
    <${Show} value=${similar} body=${(s: SimilarCreators | null) => s && html`<${SimilarCreatorsChart} s=${s} />`} />`;
}

function SimilarCreatorsChart({ s }: { s: SimilarCreators }) {
  const names = (xs: SimilarCreators["creators"]) =>
    xs
      .slice(0, 3)
      .map((c) => c.creator)
      .join(", ");
  const bars = (rows: SimilarCreators["creators"], label: string, colour: string) =>
    html`<${Bars}
      rows=${rows.map((r) => ({ label: r.creator, value: r.similarity }))}
      xLabel="similarity"
      colour=${colour}
      caption=${`Creators like ${s.creator} by ${label}: ${names(rows) || "none"}.`}
    />`;
  return html`${bars(s.creators, "the taste space (cosine of creator vectors)", "#3b6fd8")}
    ${bars(s.coListening, "the co-listening baseline (Jaccard overlap of listeners)", "#9aa3b5")}`;
}

const attributeWords: Record<Exclude<keyof BlendAttributes, "relevance">, string> = {
  joy: "joy",
  worstMember: "worst member",
  equal: "equal",
  democratic: "democratic",
  coherent: "coherent",
};

function BlendView({ user }: { user: string }) {
  const [blend] = useAsync(async () => {
    const alike = await api.similarUsers(user, 1);
    const partner = alike.users[0]?.user;
    return partner ? api.blend([user, partner], 20) : null;
  }, [user]);
  return html`<${Show} value=${blend} body=${(b: Blend | null) => (b ? html`<${BlendBody} b=${b} />` : html`<p class="muted">No listener alike to blend with.</p>`)} />`;
}

function BlendBody({ b }: { b: Blend }) {
  const bars = blendPolicies.flatMap((policy) =>
    (Object.keys(attributeWords) as Array<keyof typeof attributeWords>).map((k) => ({
      policy,
      attribute: attributeWords[k],
      value: b.policies[policy][k],
    })),
  );
  const [a, other] = b.users;
  return html`<p>Blend of <a href=${href("taste", a)}>${a}</a> and <a href=${href("taste", other)}>${other}</a>: taste match <strong data-stat="blend-match">${fixed(b.tasteMatch, 3)}</strong> (mean cosine of their taste vectors).</p>
    <${Chart}
      deps=${[b]}
      caption=${`Blend attributes for each way of making the shared playlist: ours (blend) joy ${fixed(b.policies.blend.joy, 2)} and worst member ${fixed(b.policies.blend.worstMember, 2)}; alternating ${fixed(b.policies.alternating.joy, 2)} and ${fixed(b.policies.alternating.worstMember, 2)}; mean ${fixed(b.policies.mean.joy, 2)} and ${fixed(b.policies.mean.worstMember, 2)}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 240,
          fx: { label: null },
          x: { axis: null },
          y: { label: "value", grid: true, domain: [0, 1] },
          color: { legend: true, domain: [...blendPolicies], range: ["#3b6fd8", "#9aa3b5", "#e08a1e"] },
          marks: [
            Plot.barY(bars, { fx: "attribute", x: "policy", y: "value", fill: "policy", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="The Blend's tracks and whose taste each serves"
      rows=${b.tracks}
      columns=${[
        {
          label: "title",
          cell: (t: Blend["tracks"][number]) => html`<span data-blend-track>${t.title}</span>`,
        },
        { label: "for", cell: (t: Blend["tracks"][number]) => t.for.join(", ") },
        ...b.users.map((m) => ({
          label: m,
          numeric: true,
          cell: (t: Blend["tracks"][number]) => fixed(t.relevance[m], 2),
        })),
      ]}
    />`;
}
