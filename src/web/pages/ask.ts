import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { api, type Candidate, type Resolution } from "../api.js";
import { byLine, Chart, fixed, html, percent, Table } from "../ui.js";

const devices = ["", "speaker", "tv", "phone", "car", "tablet"];

/**
 * The share of confidence the top candidate needs for the page to show "play" rather than "ask which one":
 * a display rule of this page over the API's softmax confidences, not part of the engine's ranking.
 */
const playShare = 0.5;

/** Ask it: a request with its context, the ranked candidates, the rewrite applied and why. */
export function AskPage({ user: initialUser }: { user?: string }) {
  const [form, setForm] = useState({
    user: initialUser ?? "",
    request: "play hello",
    deviceType: "",
    hasScreen: false,
    time: "",
  });
  const [answer, setAnswer] = useState<Resolution | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (key: string) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setForm({ ...form, [key]: t.type === "checkbox" ? t.checked : t.value });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const context = form.deviceType
        ? { deviceType: form.deviceType, hasScreen: form.hasScreen }
        : undefined;
      const time = form.time ? new Date(form.time).toISOString() : undefined;
      setAnswer(
        await api.resolve({
          user: form.user || "anonymous",
          request: form.request,
          context,
          time,
          limit: 10,
        }),
      );
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="ask-title">
    <h1 id="ask-title">Ask it</h1>
    <form class="ask" onSubmit=${submit}>
      <label>request <input name="request" value=${form.request} required onInput=${set("request")} /></label>
      <label>user <input name="user" value=${form.user} placeholder="anonymous" onInput=${set("user")} /></label>
      <label>device <select name="device" value=${form.deviceType} onChange=${set("deviceType")}>
        ${devices.map((d) => html`<option value=${d}>${d || "(none)"}</option>`)}
      </select></label>
      <label class="check"><input type="checkbox" name="screen" checked=${form.hasScreen} onChange=${set("hasScreen")} /> has a screen</label>
      <label>time <input type="datetime-local" name="time" value=${form.time} onInput=${set("time")} /></label>
      <button type="submit" disabled=${busy}>Resolve</button>
    </form>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${answer && html`<${Answer} a=${answer} />`}
  </section>`;
}

function Answer({ a }: { a: Resolution }) {
  const top = a.candidates[0];
  const play = top && !top.excluded && top.confidence >= playShare;
  return html`<div class="card answer" aria-live="polite">
    <p class="decision" data-decision=${play ? "play" : "ask"}>
      ${top ? (play ? html`<strong>Play</strong> “${top.title}” by ${byLine(top.creators)} (${percent(top.confidence)} of the confidence)` : html`<strong>Ask</strong> which one: no candidate holds ${percent(playShare)} of the confidence`) : html`<strong>Nothing</strong> in the catalogue matches.`}
    </p>
    <p class="muted">Model ${a.model}, ${a.source}. ${a.rewritten ? html`Rewritten “${a.rewritten.from}” → “${a.rewritten.to}” (${a.rewritten.by}).` : "No rewrite applied."}</p>
    ${
      a.candidates.length > 0 &&
      html`<${Chart}
      deps=${[a]}
      caption=${`Confidence of each candidate for “${a.request}”: ${a.candidates
        .slice(0, 3)
        .map((c) => `${c.title} by ${byLine(c.creators)} ${percent(c.confidence)}`)
        .join(", ")}.`}
      draw=${() =>
        Plot.plot({
          height: 30 + 26 * a.candidates.length,
          marginLeft: 220,
          x: { label: "confidence", domain: [0, 1], grid: true },
          y: { label: null, domain: a.candidates.map(label) },
          marks: [Plot.barX(a.candidates, { y: label, x: "confidence", fill: "#3b6fd8" }), Plot.ruleX([0])],
        })}
    />`
    }
    <${Table}
      caption="Ranked candidates with the reasons behind each score"
      rows=${a.candidates}
      columns=${[
        { label: "#", numeric: true, cell: (c: Candidate) => a.candidates.indexOf(c) + 1 },
        { label: "title", cell: (c: Candidate) => html`<span data-candidate>${c.title}</span>` },
        { label: "by", cell: (c: Candidate) => byLine(c.creators) },
        { label: "kind", cell: (c: Candidate) => c.kind },
        { label: "confidence", numeric: true, cell: (c: Candidate) => percent(c.confidence) },
        { label: "affinity", numeric: true, cell: (c: Candidate) => fixed(c.affinity) },
        {
          label: "why",
          cell: (c: Candidate) =>
            c.reasons
              .map((r) => `${r.factor} ${r.value >= 0 ? "+" : ""}${fixed(r.value, 2)}: ${r.detail}`)
              .join("; "),
        },
      ]}
    />
    ${a.blocked.length > 0 && html`<p>Ruled out by a taught preference: ${a.blocked.map((b) => b.title).join(", ")}.</p>`}
  </div>`;
}

const label = (c: Candidate) => `${c.title} — ${byLine(c.creators)}`.slice(0, 40);
