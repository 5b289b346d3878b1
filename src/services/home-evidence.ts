import { z } from "zod";
import type { HomeEvidence, OpeEvidence, SimulationEvidence } from "./home-types.js";
import type { EvaluationRecord } from "./insights-types.js";

/*
 * The bandit evidence the dashboard's Home page shows: off-policy estimates and simulated regret, read from
 * the evaluation records `tastebud bandit ope|simulate --store` keep. The shapes are checked here, so a record
 * written by another release is skipped rather than breaking the page.
 */

const num = z.number().nullable().optional();
const knob = z.union([z.number(), z.string()]).transform((v) => String(v));

const opeReportSchema = z.object({
  log: z.string(),
  policy: z.string(),
  rows: z.number(),
  meanWeight: z.number(),
  effectiveSampleSize: z.number(),
  rewardModel: z.string().default("plain"),
  switchTau: knob.default("-"),
  drosLambda: knob.default("-"),
  observed: z.object({ value: z.number(), lower: z.number(), upper: z.number() }).nullable().optional(),
  estimates: z.array(
    z.object({
      estimator: z.string(),
      estimate: z.number(),
      lower: num,
      upper: num,
      relativeError: num,
      coversObserved: z.boolean().nullable().optional(),
    }),
  ),
});

const simulateReportSchema = z.object({
  setup: z.object({
    env: z.string(),
    rounds: z.number(),
    usersPerRound: z.number(),
    seeds: z.array(z.number()),
    arms: z.number().nullable().optional(),
  }),
  policies: z.array(
    z.object({
      policy: z.string(),
      meanCumulativeRegret: z.number(),
      regretVsRandom: num,
      regretVsGreedy: num,
      rewardsPerDisplay: z.array(z.number()),
      meanRegretPerRound: z.array(z.number()),
    }),
  ),
});

export function opeEvidence(records: readonly EvaluationRecord[]): OpeEvidence[] {
  return records.flatMap((r) => {
    const parsed = opeReportSchema.safeParse(r.report);
    if (!parsed.success) return [];
    const p = parsed.data;
    return [
      {
        id: r.id,
        createdAt: r.createdAt,
        command: r.command,
        log: p.log,
        policy: p.policy,
        rows: p.rows,
        meanWeight: p.meanWeight,
        effectiveSampleSize: p.effectiveSampleSize,
        rewardModel: p.rewardModel,
        switchTau: p.switchTau,
        drosLambda: p.drosLambda,
        observed: p.observed ?? null,
        estimates: p.estimates.map((e) => ({
          estimator: e.estimator,
          estimate: e.estimate,
          lower: e.lower ?? null,
          upper: e.upper ?? null,
          relativeError: e.relativeError ?? null,
          coversObserved: e.coversObserved ?? null,
        })),
      },
    ];
  });
}

/** The newest record per environment (records come newest first). */
export function simulationEvidence(records: readonly EvaluationRecord[]): SimulationEvidence[] {
  const seen = new Set<string>();
  return records.flatMap((r) => {
    const parsed = simulateReportSchema.safeParse(r.report);
    if (!parsed.success || seen.has(parsed.data.setup.env)) return [];
    seen.add(parsed.data.setup.env);
    const { setup, policies } = parsed.data;
    return [
      {
        id: r.id,
        createdAt: r.createdAt,
        command: r.command,
        env: setup.env,
        rounds: setup.rounds,
        usersPerRound: setup.usersPerRound,
        seeds: setup.seeds,
        arms: setup.arms ?? null,
        policies: policies.map((p) => ({
          policy: p.policy,
          meanCumulativeRegret: p.meanCumulativeRegret,
          regretVsRandom: p.regretVsRandom ?? null,
          regretVsGreedy: p.regretVsGreedy ?? null,
          rewardsPerDisplay:
            p.rewardsPerDisplay.reduce((a, b) => a + b, 0) / Math.max(p.rewardsPerDisplay.length, 1),
          regretPerRound: p.meanRegretPerRound,
        })),
      },
    ];
  });
}

export function homeEvidence(
  ope: readonly EvaluationRecord[],
  simulations: readonly EvaluationRecord[],
): HomeEvidence {
  return { ope: opeEvidence(ope).slice(0, 6), simulations: simulationEvidence(simulations) };
}
