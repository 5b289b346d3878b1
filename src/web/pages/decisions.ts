import * as Plot from "@observablehq/plot";
import { api, type EvaluationRecord } from "../api.js";
import { Chart, fixed, html, percent, Show, Table, useAsync } from "../ui.js";

/** Quality of a favourite classifier trained one way (eval --delayed). */
interface MethodQuality {
  auc: number;
  logLoss: number;
  ece: number;
  trainedOn: number;
}
interface Selection {
  selected: number;
  precision: number;
  recall: number;
}
interface FavouriteRun {
  cutShiftDays: number;
  trainExamples: number;
  immatureExamples: number;
  testExamples: number;
  testPositiveRate: number;
  methods: Record<string, MethodQuality>;
  gapClosed: Record<string, { logLoss: number; auc: number }>;
  thresholds: Record<string, { single: Selection; mist: Selection; ewDpmt: Selection }>;
}
interface DelayedReport {
  source: string;
  seeds?: number[];
  examples: number;
  positiveRate: number;
  runs: FavouriteRun[];
}
interface Played {
  played: number;
  precision: number;
}
interface DecisionRun {
  seed: number;
  testRequests: number;
  topAccuracy: number;
  byPrecision: Record<string, { confidence: Played; single: Played; mist: Played; ewDpmt: Played }>;
}

const methodWords: Record<string, string> = {
  naive: "naive (open labels as negatives)",
  wait: "wait (matured labels only)",
  importance: "importance-weighted",
  oracle: "oracle (labels from the future)",
};
const thresholdWords = { single: "single threshold", mist: "MIST", ewDpmt: "EW-DPMT" };
const colours = ["#9aa3b5", "#e08a1e", "#3b6fd8", "#2a9d6f"];

/** Favourites learned from labels that arrive late, and the thresholds that decide on uncertain scores. */
export function DecisionsPage() {
  const [delayed] = useAsync(() => api.evaluations("delayed"), []);
  const [decision] = useAsync(() => api.evaluations("decision"), []);
  return html`<section aria-labelledby="decisions-title">
    <h1 id="decisions-title">Favourites and decisions</h1>
    <div class="grid">
      <div class="card wide">
        <h2>Favourites from labels that arrive late</h2>
        <${Show} value=${delayed} body=${(e: { evaluations: EvaluationRecord[] }) =>
          e.evaluations[0]
            ? html`<${Delayed} record=${e.evaluations[0]} />`
            : html`<p class="muted">Nothing recorded yet: <code>tastebud eval --delayed --store …</code> keeps its report here.</p>`} />
      </div>
      <div class="card wide">
        <h2>Play or ask: thresholds on uncertain scores</h2>
        <${Show} value=${decision} body=${(e: { evaluations: EvaluationRecord[] }) =>
          e.evaluations[0]
            ? html`<${Decision} record=${e.evaluations[0]} />`
            : html`<p class="muted">Nothing recorded yet: <code>tastebud eval --resolve-decision --store …</code> keeps its report here.</p>`} />
      </div>
    </div>
  </section>`;
}

function Delayed({ record }: { record: EvaluationRecord }) {
  const r = record.report as DelayedReport;
  const run = r.runs[0];
  const methods = Object.keys(run.methods);
  const bars = (metric: "auc" | "logLoss") =>
    methods.map((m) => ({ method: methodWords[m] ?? m, value: run.methods[m][metric] }));
  const metricChart = (metric: "auc" | "logLoss", label: string, caption: string) =>
    html`<${Chart}
      deps=${[record.id, metric]}
      caption=${caption}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 200,
          marginLeft: 210,
          x: { label, grid: true },
          y: { label: null, domain: methods.map((m) => methodWords[m] ?? m) },
          color: { domain: methods.map((m) => methodWords[m] ?? m), range: colours },
          marks: [Plot.barX(bars(metric), { y: "method", x: "value", fill: "method", tip: true })],
        })}
    />`;
  const pStars = Object.keys(run.thresholds);
  const recall = pStars.flatMap((p) =>
    (Object.keys(thresholdWords) as Array<keyof typeof thresholdWords>).map((t) => ({
      target: `P* ${p}`,
      policy: thresholdWords[t],
      recall: run.thresholds[p][t].recall,
      precision: run.thresholds[p][t].precision,
    })),
  );
  const who = r.seeds
    ? `simulated history, seed ${r.seeds[0]}`
    : `the store, cut ${run.cutShiftDays} days back`;
  return html`<p class="muted">From <code>${record.command}</code>: ${r.examples.toLocaleString("en-US")} first long plays, <span data-stat="delayed-positive">${percent(r.positiveRate)}</span> became favourites; shown: ${who} (${run.trainExamples.toLocaleString("en-US")} training examples, ${run.immatureExamples.toLocaleString("en-US")} of them still open, ${run.testExamples.toLocaleString("en-US")} test).</p>
    <div class="grid">
      <div>${metricChart("auc", "AUC", `AUC on the matured test examples by training method: ${methods.map((m) => `${m} ${fixed(run.methods[m].auc)}`).join(", ")}.`)}</div>
      <div>${metricChart("logLoss", "log loss", `Log loss by training method (lower is better): ${methods.map((m) => `${m} ${fixed(run.methods[m].logLoss)}`).join(", ")}; importance weighting closes ${percent(run.gapClosed.importance?.logLoss)} of the naive-to-oracle gap.`)}</div>
    </div>
    <${Chart}
      deps=${[record.id, "thresholds"]}
      caption=${`Recall of favourites selected at each target precision P* by three ways to threshold (score, uncertainty); precision reached is in the tips and the table. At P* ${pStars[0]}: ${(Object.keys(thresholdWords) as Array<keyof typeof thresholdWords>).map((t) => `${thresholdWords[t]} ${fixed(run.thresholds[pStars[0]][t].recall)}`).join(", ")}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 220,
          fx: { label: null },
          x: { axis: null, domain: Object.values(thresholdWords) },
          y: { label: "recall", grid: true, domain: [0, 1] },
          color: { legend: true, domain: Object.values(thresholdWords), range: colours.slice(1) },
          marks: [
            Plot.barY(recall, {
              fx: "target",
              x: "policy",
              y: "recall",
              fill: "policy",
              tip: true,
              title: (d: { precision: number; recall: number }) =>
                `recall ${fixed(d.recall)}, precision ${fixed(d.precision)}`,
            }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="Thresholds at each target precision: favourites selected, precision reached and recall"
      rows=${recall}
      columns=${[
        { label: "target", cell: (d: (typeof recall)[number]) => d.target },
        { label: "policy", cell: (d: (typeof recall)[number]) => d.policy },
        { label: "precision", numeric: true, cell: (d: (typeof recall)[number]) => fixed(d.precision) },
        { label: "recall", numeric: true, cell: (d: (typeof recall)[number]) => fixed(d.recall) },
      ]}
    />`;
}

function Decision({ record }: { record: EvaluationRecord }) {
  const run = (record.report as { runs: DecisionRun[] }).runs[0];
  const policies = { confidence: "raw confidence ≥ P*", ...thresholdWords };
  const rows = Object.entries(run.byPrecision).flatMap(([p, by]) =>
    (Object.keys(policies) as Array<keyof typeof policies>).map((k) => ({
      target: `P* ${p}`,
      policy: policies[k],
      played: by[k].played,
      precision: by[k].precision,
    })),
  );
  return html`<p class="muted">From <code>${record.command}</code>: a simulated assistant (seed ${run.seed}), ${run.testRequests.toLocaleString("en-US")} held-out requests, top-1 accuracy <span data-stat="decision-accuracy">${fixed(run.topAccuracy)}</span>. Played directly when the policy is sure enough for the target precision; asked otherwise.</p>
    <${Chart}
      deps=${[record.id]}
      caption=${`Share of requests played without asking at each target precision P*, by policy: ${rows
        .filter((d) => d.target === rows[0].target)
        .map((d) => `${d.policy} ${percent(d.played)} (precision ${fixed(d.precision)})`)
        .join(", ")} at ${rows[0].target}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 220,
          fx: { label: null },
          x: { axis: null, domain: Object.values(policies) },
          y: { label: "played directly", grid: true, domain: [0, 1], tickFormat: "%" },
          color: { legend: true, domain: Object.values(policies), range: colours },
          marks: [
            Plot.barY(rows, {
              fx: "target",
              x: "policy",
              y: "played",
              fill: "policy",
              tip: true,
              title: (d: { played: number; precision: number }) =>
                `played ${percent(d.played)}, precision ${fixed(d.precision)}`,
            }),
            Plot.ruleY([0]),
          ],
        })}
    />`;
}
