import type { AblationRow } from "../core/evaluation/ablation.js";
import type { EvaluationReport, ModelMetrics } from "../core/evaluation/evaluate.js";
import type { TruthReport } from "../core/evaluation/truth.js";

const fmt = (v: number | null | undefined) =>
  v === null || v === undefined ? "    -" : v.toFixed(3).padStart(6);

/** The eval report as a table for people. */
export function formatEvaluation(report: EvaluationReport & { truth?: TruthReport }): string {
  const b = report.baselines;
  const rows: Array<[string, ModelMetrics | null | undefined]> = [
    ["served top-n (recommend)", report.recommender],
    ["affinity (blend)", report.model],
    ["factorization (mf)", b.mf],
    ["history", b.history],
    ["popularity", b.popularity],
    ["wrmf", b.wrmf],
    [b.ease ? `ease (λ ${b.ease.lambda})` : "ease", b.ease],
    [b.itemKnn ? `item-knn (k ${b.itemKnn.neighbours ?? "all"})` : "item-knn", b.itemKnn],
    ["warp", b.warp],
  ];
  const head =
    "model                     spearman  per-user  kendall     auc  sp.replay  sp.new  ndcg@10  recall@10  map@10  coverage";
  const lines = rows.flatMap(([name, m]) =>
    !m
      ? []
      : `${name.padEnd(24)}  ${fmt(m.spearman)}    ${fmt(m.spearmanPerUser)}   ${fmt(m.kendall)}  ${fmt(m.auc)}     ${fmt(m.replay.spearman)}  ${fmt(m.new.spearman)}   ${fmt(m["ndcg@10"])}     ${fmt(m["recall@10"])}  ${fmt(m["map@10"])}    ${fmt(m.coverage)}`,
  );
  const c = report.counts;
  const out = [
    `split: ${JSON.stringify(report.split)}`,
    `train ${c.trainPlays} plays, held out ${c.heldOutPlays}, scored ${c.scoredPlays} (users ${c.scoredUsers}, skip share ${c.skipShare.toFixed(3)}); top-10 ranked for ${c.rankedUsers} users`,
    "",
    head,
    ...lines,
  ];
  if (report.recommender) {
    const v = report.recommender.validation;
    out.push(
      "",
      `served top-n model: ${report.recommender.name}, chosen on ${v.cut === "random-pairs" ? "a random" : "each user's latest"} ${Math.round(100 * v.share)}% of the training ${v.cut === "random-pairs" ? "pairs" : "plays"} (${v.users} users); validation NDCG@10 of each candidate's best setting:`,
      `  ${v.best.map((c) => `${c.recommender} ${c["ndcg@10"].toFixed(3)}`).join("   ")}`,
      ...(v.guard
        ? [
            `  ${v.guard.challenger} beat ${v.guard.baseline} by ${v.guard.meanGain.toFixed(4)} ± ${v.guard.standardError.toFixed(4)} per user: ${v.guard.switched ? "clearly (over twice the standard error), so it is served" : "not clearly (under twice the standard error), so the baseline is served"}`,
          ]
        : []),
      ...v.skipped.map((s) => `  ${s.recommender} not tried: ${s.reason}`),
    );
  }
  if (report.truth) {
    const t = report.truth;
    out.push(
      "",
      `agreement with the simulator's true affinities (mean per-user Spearman over ${t.users} users):`,
      `  affinity (blend)   all ${fmt(t.model.all)}   new to user ${fmt(t.model.new)}`,
      `  factorization      all ${fmt(t.mf.all)}   new to user ${fmt(t.mf.new)}`,
      `  popularity         all ${fmt(t.popularity.all)}   new to user ${fmt(t.popularity.new)}`,
    );
  }
  return out.join("\n");
}

export function formatAblation(rows: AblationRow[]): string {
  const head =
    "data   weighting  seeds  spearman  (range)          per-user  kendall     auc  sp.new  ndcg@10";
  const lines = rows.map(
    (r) =>
      `${(r.positivesOnly ? "P" : "P+N").padEnd(5)}  ${r.weighting.padEnd(9)}  ${String(r.seeds).padStart(5)}  ${fmt(r.spearman)}    ${r.spearmanMin.toFixed(3)}..${r.spearmanMax.toFixed(3)}  ${fmt(r.spearmanPerUser)}   ${fmt(r.kendall)}  ${fmt(r.auc)}  ${fmt(r.spearmanNew)}   ${fmt(r["ndcg@10"])}`,
  );
  const ranked = rows.filter((r) => !r.positivesOnly).sort((a, b) => (b.spearman ?? 0) - (a.spearman ?? 0));
  const best = ranked[0];
  // A weighting whose seeds reach into the best one's seed range is not beaten by it: say so.
  const tied = ranked.slice(1).filter((r) => best && r.spearmanMax >= best.spearmanMin);
  const tie = tied.length
    ? `, tied with ${tied.map((r) => r.weighting).join(", ")} (their seed ranges overlap)`
    : "";
  return [head, ...lines, "", `best weighting by pooled Spearman: ${best?.weighting}${tie}`].join("\n");
}
