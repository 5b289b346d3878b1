import { spearman } from "../metrics/correlation.js";
import { Random } from "../random.js";
import { mineRewrites } from "../rewriting/mine.js";
import { collectRuleChains, contextKey } from "../rewriting/precision.js";
import { bootstrapSuccess, estimateSuccess } from "../rewriting/success-estimate.js";
import { simulateVoice, type VoiceOptions } from "../simulate/voice/index.js";
import { fitMist, thresholdsToJson } from "../thresholds/index.js";
import {
  compareThresholdPolicies,
  defaultPolicyComparisonOptions,
  type PolicyComparison,
} from "../thresholds/policy-comparison.js";
import { turnFromEvent } from "../voice/turn.js";

const DAY_MS = 86_400_000;

export interface RewriteDecisionOptions {
  seed: number;
  users: number;
  days: number;
  /** Days at the end whose requests are judged (the rules and their evidence come from the rest). */
  heldOutDays: number;
  items: number;
  precisions: number[];
  /** Bootstrap members the analytic spread is measured against. */
  bootstrap: number;
  /** Further simulator knobs (e.g. the population); seed, users, days and items come from above. */
  voice: Partial<VoiceOptions>;
}

/** The world of `eval --rewrites`: 300 users, 28 days, half held out. */
export const defaultRewriteDecisionOptions: RewriteDecisionOptions = {
  seed: 1,
  users: 300,
  days: 28,
  heldOutDays: 14,
  items: 1500,
  precisions: defaultPolicyComparisonOptions.precisions,
  bootstrap: 50,
  voice: {},
};

/** A rule of thumb on the test half: share of requests rewritten, and the precision of those. */
export interface RewriteShare {
  rewritten: number;
  precision: number;
}

export interface RewriteDecisionReport {
  seed: number;
  rules: number;
  /** Rules left out because no training turn says what their rewrite resolves to (no label possible). */
  rulesWithoutEntity: number;
  /** Held-out requests at a rule's source (one example each) and the share for which the rewrite is right. */
  requests: number;
  rightShare: number;
  /** How well the analytic spread follows the bootstrap one (Spearman, all requests) and their mean sizes. */
  spread: { spearman: number; analyticMean: number; bootstrapMean: number; meanAbsMeanDiff: number };
  /** Baselines on the test half: every request rewritten; the gain gate of `eval --rewrites` (z 0). */
  always: RewriteShare;
  gainGate: RewriteShare;
  /** Per P*: rewrite when the success estimate >= P* (no fitting), on the test half. */
  estimateAtLeast: Record<string, RewriteShare>;
  /** Single threshold vs MIST vs EW-DPMT on (success estimate, analytic or bootstrap spread). */
  thresholds: PolicyComparison;
  /** MIST on the analytic spread with the setting the calibration half chose, per P*, as a table serves it. */
  policies: Record<string, ReturnType<typeof thresholdsToJson>>;
}

/**
 * The rewrite decision on the simulated assistant, where the right rewrite is known: the Markov table and
 * its gates are mined from the first days; every held-out request at a rule's source is an example, right
 * when the user meant the rewrite's entity. Its score is the success estimate for that user and context,
 * its uncertainty the estimate's spread. Examples are split in half by a seeded draw: thresholds (and their
 * hyperparameters, by cross-fitting inside) on one half, measured on the other. Offline: the requests are
 * those of the world without rewriting, and the evidence does not learn from the held-out days.
 */
export function evaluateRewriteDecision(
  options: Partial<RewriteDecisionOptions> = {},
): RewriteDecisionReport {
  const o = { ...defaultRewriteDecisionOptions, ...options };
  const world = simulateVoice({ ...o.voice, seed: o.seed, users: o.users, days: o.days, items: o.items });
  const split = Date.parse(world.startDate) + (o.days - o.heldOutDays) * DAY_MS;
  const turns = world.requests.map(turnFromEvent);
  const trainTurns = turns.filter((t) => t.timeMs < split);
  const trainPlays = world.plays.filter((p) => Date.parse(p.endTime) < split);
  const byId = new Map(world.catalogue.map((c) => [c.id, c]));
  const { table, verdicts } = mineRewrites(trainTurns, { plays: trainPlays, entities: (id) => byId.get(id) });
  const chains = collectRuleChains(
    trainTurns,
    verdicts.map((v) => v.defective),
    table.rules,
  );

  interface Example {
    source: string;
    user: string;
    context: string;
    right: number;
    gateApplies: boolean;
  }
  const examples: Example[] = [];
  let withoutEntity = 0;
  for (const rule of table.rules) if (!table.gates.get(rule.source)?.rewriteItem) withoutEntity++;
  turns.forEach((t, i) => {
    if (t.timeMs < split) return;
    const d = table.decide(t.text, t.user, t.context);
    const item = d && table.gates.get(d.rule.source)?.rewriteItem;
    if (!d || !item) return;
    examples.push({
      source: d.rule.source,
      user: t.user,
      context: contextKey(t.context),
      right: world.truth[i].intendedItem === item ? 1 : 0,
      gateApplies: d.apply,
    });
  });
  const n = examples.length;
  if (n === 0) throw new Error("no held-out request at a rule's source: the world is too small");

  const score = new Float64Array(n);
  const analytic = new Float64Array(n);
  examples.forEach((e, j) => {
    const s = estimateSuccess(table.gates.get(e.source)?.success, e.user, e.context);
    score[j] = s.mean;
    analytic[j] = s.spread;
  });
  // The bootstrap, rule by rule over that rule's requests.
  const bootstrap = new Float64Array(n);
  const bootMean = new Float64Array(n);
  const bySource = new Map<string, number[]>();
  examples.forEach((e, j) => {
    const list = bySource.get(e.source) ?? [];
    list.push(j);
    bySource.set(e.source, list);
  });
  let r = 0;
  for (const [source, rows] of bySource) {
    const users = chains.bySource.get(source) ?? new Map();
    if (users.size === 0) continue; // no evidence: the estimate is "none" and every member agrees
    const b = bootstrapSuccess(
      users,
      rows.map((j) => examples[j]),
      o.bootstrap,
      o.seed * 7_907 + r++,
    );
    rows.forEach((j, k) => {
      bootstrap[j] = b[k].spread;
      bootMean[j] = b[k].mean;
    });
  }
  const label = Float64Array.from(examples, (e) => e.right);
  const rng = new Random(o.seed * 31 + 7);
  const isCalibration = examples.map(() => rng.next() < 0.5);
  const testRows = examples.map((_, j) => j).filter((j) => !isCalibration[j]);
  const share = (chosen: (j: number) => boolean): RewriteShare => {
    let picked = 0;
    let hits = 0;
    for (const j of testRows)
      if (chosen(j)) {
        picked++;
        hits += label[j];
      }
    return { rewritten: picked / Math.max(1, testRows.length), precision: picked ? hits / picked : 1 };
  };
  const thresholds = compareThresholdPolicies(
    score,
    label,
    isCalibration,
    {
      analytic: [{ name: "analytic", values: analytic }],
      bootstrap: [{ name: `bootstrap ${o.bootstrap}`, values: bootstrap }],
    },
    { precisions: o.precisions, seed: o.seed },
  );
  const calRows = examples.map((_, j) => j).filter((j) => isCalibration[j]);
  const policies: RewriteDecisionReport["policies"] = {};
  for (const p of o.precisions) {
    const bins = thresholds.byPrecision[String(p)].mist.analytic.chosen?.bins ?? 4;
    policies[String(p)] = thresholdsToJson(
      fitMist(
        calRows.map((j) => score[j]),
        calRows.map((j) => analytic[j]),
        calRows.map((j) => label[j]),
        p,
        bins,
      ),
    );
  }
  let absDiff = 0;
  for (let j = 0; j < n; j++) absDiff += Math.abs(bootMean[j] - score[j]);
  return {
    seed: o.seed,
    rules: table.size,
    rulesWithoutEntity: withoutEntity,
    requests: n,
    rightShare: label.reduce((a, b) => a + b, 0) / n,
    spread: {
      spearman: spearman(analytic, bootstrap),
      analyticMean: analytic.reduce((a, b) => a + b, 0) / n,
      bootstrapMean: bootstrap.reduce((a, b) => a + b, 0) / n,
      meanAbsMeanDiff: absDiff / n,
    },
    always: share(() => true),
    gainGate: share((j) => examples[j].gateApplies),
    estimateAtLeast: Object.fromEntries(o.precisions.map((p) => [String(p), share((j) => score[j] >= p)])),
    thresholds,
    policies,
  };
}
