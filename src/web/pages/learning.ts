import * as Plot from "@observablehq/plot";
import { api, type DailyRequests, type FailureReport, type Rewrites } from "../api.js";
import { Bars, Chart, fixed, html, percent, Show, Table, useAsync } from "../ui.js";

type Rule = Rewrites["rules"][number];
type Monitor = Rewrites["monitor"][number];
type Group = [string, FailureReport["byIntent"][string]];

/** Self-learning: the rewrite table and each rule's monitor state, defects over time, where turns fail. */
export function LearningPage() {
  const [rewrites] = useAsync(() => api.rewrites(), []);
  const [daily] = useAsync(() => api.daily(), []);
  const [failures] = useAsync(() => api.failures(), []);
  return html`<section aria-labelledby="learning-title">
    <h1 id="learning-title">Self-learning</h1>
    <div class="grid">
      <div class="card wide">
        <h2>Defective requests per day</h2>
        <${Show} value=${daily} body=${(d: DailyRequests) => html`<${Defects} d=${d} />`} />
      </div>
      <div class="card wide">
        <h2>Rewrite table</h2>
        <${Show} value=${rewrites} body=${(r: Rewrites) => html`<${RewriteTable} r=${r} />`} />
      </div>
      <div class="card wide">
        <h2>Refused: rewrites that would change the meaning</h2>
        <${Show} value=${rewrites} body=${(r: Rewrites) => html`<${Refused} r=${r} />`} />
      </div>
      <div class="card wide">
        <h2>Where turns fail</h2>
        <${Show} value=${failures} body=${(f: FailureReport) => (f.turns > 0 ? html`<${Failures} f=${f} />` : html`<p class="muted">No request events stored.</p>`)} />
      </div>
    </div>
  </section>`;
}

function Defects({ d }: { d: DailyRequests }) {
  if (d.days.length === 0) return html`<p class="muted">No request events stored.</p>`;
  const turns = d.days.reduce((s, x) => s + x.turns, 0);
  const defective = d.days.reduce((s, x) => s + x.defective, 0);
  const points = d.days.map((x) => ({ ...x, date: new Date(`${x.day}T00:00:00Z`) }));
  return html`<p><span data-stat="defect-rate">${percent(defective / turns)}</span> of ${turns.toLocaleString("en-US")} turns defective
      (${Object.entries(d.reasons)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}).</p>
    <${Chart}
      deps=${[d]}
      caption=${`Share of request turns judged defective (barge-in, error, short play or rephrase) per day, over ${d.days.length} days: ${percent(defective / turns)} overall.`}
      draw=${() =>
        Plot.plot({
          height: 220,
          x: { type: "utc", label: null },
          y: {
            label: "defect rate",
            grid: true,
            tickFormat: "%",
            domain: [0, Math.max(...points.map((p) => p.defectRate)) * 1.1],
          },
          marks: [
            Plot.line(points, { x: "date", y: "defectRate", stroke: "#c23b22" }),
            Plot.dot(points, { x: "date", y: "defectRate", fill: "#c23b22", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />`;
}

function RewriteTable({ r }: { r: Rewrites }) {
  if (!r.version)
    return html`<p class="muted">No rewrite table built yet (POST /v1/rewrites/build, or <code>tastebud rewrites build</code>).</p>`;
  const state = new Map(r.monitor.map((m) => [`${m.source}\u0000${m.rewrite}`, m]));
  const rules = [...r.rules].sort((a, b) => b.support - a.support).slice(0, 30);
  return html`<p class="muted">Table ${r.version}: ${r.rules.length} rules; the monitor state is since this server loaded the table.</p>
    <${Table}
      caption="Learned rewrites, most supported first, with their monitor state"
      rows=${rules}
      columns=${[
        { label: "said", cell: (x: Rule) => `“${x.source}”` },
        { label: "rewritten to", cell: (x: Rule) => `“${x.rewrite}”` },
        { label: "users", numeric: true, cell: (x: Rule) => x.support },
        { label: "gain", numeric: true, cell: (x: Rule) => fixed(x.gain, 2) },
        { label: "keeps the meaning", cell: (x: Rule) => meaningWords[x.meaning ?? ""] ?? "–" },
        {
          label: "state",
          cell: (x: Rule) => html`<${StateTag} m=${state.get(`${x.source}\u0000${x.rewrite}`)} />`,
        },
        {
          label: "P(win)",
          numeric: true,
          cell: (x: Rule) => fixed(state.get(`${x.source}\u0000${x.rewrite}`)?.pWin ?? null, 2),
        },
      ]}
    />`;
}

/** The meaning check's verdicts in words (core/rewriting/meaning.ts). */
const meaningWords: Record<string, string> = {
  "same-words": "same words, other phrasing",
  spelling: "spelled or sounds alike",
  "adds-detail": "adds a creator or kind",
  "other-words": "another title or name",
  "other-creator": "another creator",
  "other-kind": "another kind",
  "other-entity": "resolves to something else",
};

type RefusedRoute = Rewrites["refused"][number];

function Refused({ r }: { r: Rewrites }) {
  if (!r.version) return html`<p class="muted">No rewrite table built yet.</p>`;
  if (r.refused.length === 0)
    return html`<p class="muted">The meaning check refused no route in table ${r.version} (or the table was built without it).</p>`;
  const counts = new Map<string, number>();
  for (const x of r.refused) counts.set(x.reason, (counts.get(x.reason) ?? 0) + 1);
  const rows = [...counts.entries()].map(([reason, n]) => ({
    label: meaningWords[reason] ?? reason,
    value: n,
  }));
  return html`<${Bars}
      rows=${rows}
      xLabel="routes refused"
      colour="#c23b22"
      caption=${`${r.refused.length} strongest routes out of a source were refused because they change what it asks for: ${rows.map((x) => `${x.label} ${x.value}`).join(", ")}.`}
    />
    <${Table}
      caption="Refused routes, most travelled first"
      rows=${[...r.refused].sort((a, b) => b.pathUsers - a.pathUsers).slice(0, 15)}
      columns=${[
        { label: "said", cell: (x: RefusedRoute) => html`<span data-refused>“${x.source}”</span>` },
        { label: "would become", cell: (x: RefusedRoute) => `“${x.rewrite}”` },
        { label: "why not", cell: (x: RefusedRoute) => meaningWords[x.reason] ?? x.reason },
        { label: "users", numeric: true, cell: (x: RefusedRoute) => x.pathUsers },
        { label: "it worked", numeric: true, cell: (x: RefusedRoute) => percent(x.rewriteSuccess) },
      ]}
    />`;
}

/** The monitor's states in words: a rule on trial is served to most requests while a share is held out. */
const stateWords: Record<string, string> = {
  trial: "on trial (part held out)",
  confirmed: "live",
  withdrawn: "withdrawn",
};

function StateTag({ m }: { m: Monitor | undefined }) {
  if (!m) return "–";
  return html`<span class=${`tag ${m.state}`}>${stateWords[m.state] ?? m.state}</span>`;
}

function Failures({ f }: { f: FailureReport }) {
  const stages = Object.entries(f.byStage).map(([stage, count]) => ({ stage, count }));
  const groupColumns = (label: string) => [
    { label, cell: ([k]: Group) => k },
    { label: "turns", numeric: true, cell: ([, g]: Group) => g.turns },
    { label: "failure rate", numeric: true, cell: ([, g]: Group) => percent(g.failureRate) },
    {
      label: "stages",
      cell: ([, g]: Group) =>
        Object.entries(g.stages)
          .map(([s, n]) => `${s} ${n}`)
          .join(", "),
    },
  ];
  const sorted = (g: FailureReport["byIntent"]) =>
    Object.entries(g)
      .sort((a, b) => b[1].turns - a[1].turns)
      .slice(0, 12);
  return html`<p>${f.failures.toLocaleString("en-US")} of ${f.turns.toLocaleString("en-US")} turns failed; the stage that fails most: <strong>${f.worstStage ?? "none"}</strong>
      (labels from a classifier ${f.classifier === "simulated" ? "trained on a simulated assistant" : "given"}).</p>
    <${Chart}
      deps=${[f]}
      caption=${`Failed turns by pipeline stage: ${stages.map((s) => `${s.stage} ${s.count}`).join(", ")}.`}
      draw=${() =>
        Plot.plot({
          height: 200,
          marginLeft: 90,
          x: { label: "failed turns", grid: true },
          y: { label: null },
          marks: [
            Plot.barX(stages, { y: "stage", x: "count", fill: "#c23b22", sort: { y: "-x" } }),
            Plot.ruleX([0]),
          ],
        })}
    />
    <div class="grid">
      <div><${Table} caption="By intent" rows=${sorted(f.byIntent)} columns=${groupColumns("intent")} /></div>
      <div><${Table} caption="By device" rows=${sorted(f.byDevice)} columns=${groupColumns("device")} /></div>
    </div>`;
}
