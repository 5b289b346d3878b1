import * as Plot from "@observablehq/plot";
import { api, type EvaluationRecord, type ItemMap, type Overview } from "../api.js";
import { Chart, fixed, html, percent, Show, Table, useAsync } from "../ui.js";

type Metrics = Record<string, number | null>;
interface AffinityReport {
  model: Metrics;
  recommender?: Metrics | null;
  baselines: Record<string, Metrics | null>;
  counts?: { heldOutPlays: number; scoredPlays: number };
}
interface AblationRow {
  weighting: string;
  positivesOnly: boolean;
  seeds: number;
  spearman: number | null;
  "ndcg@10": number | null;
}

const scorerNames: Record<string, string> = {
  recommender: "served top-n (recommend)",
  model: "affinity (blend)",
  ease: "EASE",
  itemKnn: "item-kNN",
  warp: "WARP",
  mf: "factorization",
  wrmf: "WRMF",
  history: "history",
  popularity: "popularity",
};
const shownMetrics = ["spearman", "auc", "ndcg@10", "recall@10"];

/** Model and evidence: held-out figures against baselines, the weighting functions, the item space as a map. */
export function ModelPage() {
  const [overview] = useAsync(() => api.overview(), []);
  const [evaluations] = useAsync(() => api.evaluations(), []);
  const [map] = useAsync(() => api.itemMap(1500), []);
  return html`<section aria-labelledby="model-title">
    <h1 id="model-title">Model and evidence</h1>
    <div class="grid">
      <div class="card wide">
        <h2>Held-out evaluation against baselines</h2>
        <${Show} value=${evaluations} body=${(e: { evaluations: EvaluationRecord[] }) => html`<${Evaluations} records=${e.evaluations} />`} />
      </div>
      <div class="card wide">
        <h2>Map of the item space</h2>
        <${Show} value=${map} body=${(m: ItemMap) => html`<${ItemMapView} map=${m} />`} />
      </div>
      <div class="card wide">
        <h2>Top-N recommender, chosen on validation</h2>
        <${Show} value=${overview} body=${(o: Overview) => html`<${TopNChoice} o=${o} />`} />
      </div>
      <div class="card">
        <h2>Training curve</h2>
        <${Show} value=${overview} body=${(o: Overview) => html`<${TrainingCurve} o=${o} />`} />
      </div>
      <div class="card">
        <h2>Weighting functions</h2>
        <${Show} value=${overview} body=${(o: Overview) => html`<${Weighting} o=${o} />`} />
      </div>
    </div>
  </section>`;
}

function Evaluations({ records }: { records: EvaluationRecord[] }) {
  const affinity = records.find((r) => r.kind === "affinity");
  const ablation = records.find((r) => r.kind === "ablation");
  if (!affinity && !ablation)
    return html`<p class="muted">No evaluation recorded yet: run <code>tastebud eval</code> (or the demo) on this store.</p>`;
  return html`${affinity && html`<${AffinityEvaluation} record=${affinity} />`}${ablation && html`<${Ablation} record=${ablation} />`}`;
}

function AffinityEvaluation({ record }: { record: EvaluationRecord }) {
  const report = record.report as AffinityReport;
  const scorers = Object.entries({
    recommender: report.recommender ?? null,
    model: report.model,
    ...report.baselines,
  }).filter((s): s is [string, Metrics] => s[1] !== null && s[1] !== undefined);
  const rows = scorers.flatMap(([name, m]) =>
    shownMetrics
      .filter((k) => m[k] !== null && m[k] !== undefined)
      .map((metric) => ({ scorer: scorerNames[name] ?? name, metric, value: m[metric] as number })),
  );
  const spearman = (name: string) => fixed(scorers.find(([n]) => n === name)?.[1].spearman ?? null);
  return html`
    <p class="muted">From <code>${record.command}</code> at ${record.createdAt.replace("T", " ").slice(0, 16)} UTC${report.counts ? `, ${report.counts.scoredPlays.toLocaleString("en-US")} held-out plays scored` : ""}.</p>
    <${Chart}
      deps=${[record.id]}
      caption=${`Held-out metrics by scorer. Spearman with play duration: tastebud ${spearman("model")}, factorization ${spearman("mf")}, history ${spearman("history")}, popularity ${spearman("popularity")}.`}
      draw=${() =>
        Plot.plot({
          height: 240,
          marginBottom: 40,
          fx: { label: null },
          x: { axis: null },
          y: { label: "value", grid: true, domain: [Math.min(0, ...rows.map((r) => r.value)), 1] },
          color: { legend: true, domain: scorers.map(([n]) => scorerNames[n] ?? n) },
          marks: [
            Plot.barY(rows, { fx: "metric", x: "scorer", y: "value", fill: "scorer", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="Held-out metrics (higher is better); baselines that win are shown as they are"
      rows=${scorers}
      columns=${[
        { label: "scorer", cell: ([n]: [string, Metrics]) => scorerNames[n] ?? n },
        ...shownMetrics.map((k) => ({
          label: k,
          numeric: true,
          cell: ([, m]: [string, Metrics]) => fixed(m[k]),
        })),
      ]}
    />`;
}

function Ablation({ record }: { record: EvaluationRecord }) {
  const rows = (record.report as { ablation: AblationRow[] }).ablation;
  return html`<h3>Weighting ablation</h3>
    <p class="muted">From <code>${record.command}</code>.</p>
    <${Table}
      caption="Spearman and NDCG@10 for each weighting function, with and without negatives (median over seeds)"
      rows=${rows}
      columns=${[
        { label: "weighting", cell: (r: AblationRow) => String(r.weighting) },
        { label: "negatives", cell: (r: AblationRow) => (r.positivesOnly ? "no" : "yes") },
        { label: "spearman", numeric: true, cell: (r: AblationRow) => fixed(r.spearman) },
        { label: "ndcg@10", numeric: true, cell: (r: AblationRow) => fixed(r["ndcg@10"]) },
        { label: "seeds", numeric: true, cell: (r: AblationRow) => r.seeds },
      ]}
    />`;
}

function ItemMapView({ map }: { map: ItemMap }) {
  // Colour by first tag where most items have one, else by kind (a voice catalogue mixes songs, films, books).
  const byTag = map.points.filter((p) => p.tag).length >= map.points.length / 2;
  const key = (p: ItemMap["points"][number]) => (byTag ? p.tag : p.kind) ?? "none";
  const counts = new Map<string, number>();
  for (const p of map.points) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
  const common = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 9)
    .map(([t]) => t);
  const colour = (p: ItemMap["points"][number]) => (common.includes(key(p)) ? key(p) : "other");
  return html`<${Chart}
    deps=${[map.model]}
    caption=${`The ${map.points.length} most played items on the two principal axes of their factor vectors (model ${map.model}); the axes keep ${percent(map.explained[0])} and ${percent(map.explained[1])} of the variance. Colour: ${byTag ? "first tag" : "kind"}. Hover a point for its title.`}
    draw=${() =>
      Plot.plot({
        height: 420,
        x: { label: `axis 1 (${percent(map.explained[0])})` },
        y: { label: `axis 2 (${percent(map.explained[1])})` },
        color: { legend: true, domain: [...common, "other"], scheme: "tableau10" },
        marks: [
          Plot.dot(map.points, { x: "x", y: "y", fill: colour, r: 2.5, fillOpacity: 0.7 }),
          Plot.tip(
            map.points,
            Plot.pointer({
              x: "x",
              y: "y",
              title: (p: ItemMap["points"][number]) =>
                `${p.title}\n${p.creators.join(", ")}\n${p.kind}${p.tag ? `, ${p.tag}` : ""}`,
            }),
          ),
        ],
      })}
  />`;
}

function Weighting({ o }: { o: Overview }) {
  const served = o.model?.rule.weighting;
  return html`<${Chart}
    deps=${[served]}
    caption=${`Confidence weight g(x) of a play by its normalised distance x from the skip threshold, for each weighting function${served ? `; the serving model uses ${served} (thick line)` : ""}.`}
    draw=${() =>
      Plot.plot({
        width: 400,
        height: 260,
        x: { label: "distance from the threshold, x" },
        y: { label: "weight g(x)", grid: true },
        color: { legend: true },
        marks: [
          Plot.line(o.weighting, {
            x: "x",
            y: "weight",
            stroke: "name",
            strokeWidth: (d: { name: string }) => (d.name === served ? 3.5 : 1.5),
          }),
        ],
      })}
  />`;
}

type CurvePoint = NonNullable<Overview["model"]>["trainingCurve"][number];

function TrainingCurve({ o }: { o: Overview }) {
  const curve = o.model?.trainingCurve ?? [];
  if (curve.length === 0)
    return html`<p class="muted">The serving model kept no training curve (trained before curves were recorded, or no model yet).</p>`;
  const phaseWords = { calibration: "calibration fit (training pairs)", final: "final fit (training pairs)" };
  const lines = [
    ...curve.map((p: CurvePoint) => ({ epoch: p.epoch, loss: p.loss, series: phaseWords[p.phase] })),
    ...curve
      .filter((p: CurvePoint) => p.validationLoss !== undefined)
      .map((p: CurvePoint) => ({
        epoch: p.epoch,
        loss: p.validationLoss as number,
        series: "held-out latest plays",
      })),
  ];
  const final = curve.filter((p: CurvePoint) => p.phase === "final");
  const held = curve.filter((p: CurvePoint) => p.validationLoss !== undefined);
  const last = final[final.length - 1];
  const validation = held.length
    ? `; on each user's held-out latest plays it went from ${fixed(held[0].validationLoss)} to ${fixed(held[held.length - 1].validationLoss)}`
    : "";
  return html`<${Chart}
    deps=${[o.model?.version]}
    caption=${`Pairwise loss −ln σ(x̂ui − x̂uj) on a fixed sample of pairs after each epoch (ln 2 = ${fixed(Math.LN2)} is a coin toss): the final fit went from ${fixed(final[0]?.loss)} to ${fixed(last?.loss)} over ${final.length} epochs${validation}.`}
    draw=${(width: number) =>
      Plot.plot({
        width,
        height: 260,
        x: { label: "epoch", grid: true },
        y: { label: "pairwise loss", grid: true },
        color: {
          legend: true,
          domain: [phaseWords.calibration, phaseWords.final, "held-out latest plays"],
          range: ["#9aa3b5", "#3b6fd8", "#e08a1e"],
        },
        marks: [
          Plot.ruleY([Math.LN2], { stroke: "#ccc", strokeDasharray: "4 3" }),
          Plot.line(lines, { x: "epoch", y: "loss", stroke: "series", tip: true }),
        ],
      })}
  />`;
}

type Candidate = NonNullable<NonNullable<Overview["model"]>["topN"]>["validation"]["best"][number];

function TopNChoice({ o }: { o: Overview }) {
  const t = o.model?.topN;
  if (!t)
    return html`<p class="muted">The serving model has no top-N model: recommend ranks by affinity.</p>`;
  const label = (c: Candidate) =>
    `${c.recommender}${c.param === null ? "" : ` (${c.param})`}${c.popularityWeight ? ` + ${c.popularityWeight} pop.` : ""}`;
  const chosen = t.validation.best.find((c) => c.recommender === t.recommender) ?? t.validation.best[0];
  const guard = t.validation.guard;
  const rows = t.validation.best.flatMap((c) =>
    (["ndcg@10", "recall@10"] as const).map((metric) => ({
      recommender: label(c),
      metric,
      value: c[metric],
    })),
  );
  const users = t.validation.users.toLocaleString("en-US");
  const why = guard
    ? guard.switched
      ? `; it beat ${guard.baseline} by ${fixed(guard.meanGain)} ± ${fixed(guard.standardError)} per user, more than twice its standard error`
      : `; the best, ${guard.challenger}, beat it by only ${fixed(guard.meanGain)} ± ${fixed(guard.standardError)} per user, less than twice its standard error`
    : "";
  return html`<p>Serving <strong data-fact="topn">${t.name}</strong>, chosen on ${t.validation.cut === "random-pairs" ? "a random" : "each user's latest"} ${percent(t.validation.share)} of training ${t.validation.cut === "random-pairs" ? "pairs" : "plays"} (${users} users with a new item to find)${why}.</p>
    <${Chart}
      deps=${[o.model?.version, "topn"]}
      caption=${`Validation NDCG@10 and recall@10 of each recommender's best setting: ${t.validation.best.map((c) => `${label(c)} ${fixed(c["ndcg@10"])}`).join(", ")}; chosen: ${label(chosen)}`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 240,
          fx: { label: null },
          x: { axis: null, domain: t.validation.best.map(label) },
          y: { label: "value", grid: true },
          color: { legend: true, domain: t.validation.best.map(label), scheme: "tableau10" },
          marks: [
            Plot.barY(rows, { fx: "metric", x: "recommender", y: "value", fill: "recommender", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />
    ${t.validation.skipped.length > 0 && html`<p class="muted">Left out: ${t.validation.skipped.map((s) => `${s.recommender} (${s.reason})`).join("; ")}.</p>`}`;
}
