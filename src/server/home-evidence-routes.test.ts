import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { buildApp } from "./app.js";

let engine: Engine;
let app: FastifyInstance;

beforeAll(async () => {
  engine = await Engine.open({
    store: ":memory:",
    models: mkdtempSync(join(tmpdir(), "tastebud-evidence-")),
    seed: 2,
  });
  app = buildApp(engine, { apiKey: "k" });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await engine?.close();
});

const simulation = (env: string, regret: number) => ({
  setup: { env, rounds: 2, usersPerRound: 10, seeds: [1, 2], arms: 12 },
  policies: [
    {
      policy: "random",
      cumulativeRegret: [regret, regret],
      meanCumulativeRegret: regret,
      regretVsRandom: 1,
      rewardsPerDisplay: [0.2, 0.3],
      meanRegretPerRound: [regret / 2, regret],
    },
  ],
});

describe("GET /v1/home/evidence", () => {
  it("answers the kept off-policy estimates and the newest simulation per environment, skipping records it cannot read", async () => {
    const empty = await app.inject({ method: "GET", url: "/v1/home/evidence" });
    expect(empty.json()).toEqual({ ope: [], simulations: [] });
    engine.insights.recordEvaluation("bandit-ope", "tastebud bandit ope --log l.csv --policy uniform", {
      log: "l.csv",
      policy: "uniform",
      rows: 900,
      meanWeight: 1,
      effectiveSampleSize: 900,
      rewardModel: "plain",
      switchTau: "Infinity",
      drosLambda: 30,
      observed: { value: 0.05, lower: 0.04, upper: 0.06 },
      estimates: [
        {
          estimator: "DM",
          estimate: 0.051,
          lower: 0.045,
          upper: 0.057,
          relativeError: 0.02,
          coversObserved: true,
        },
        {
          estimator: "DRos",
          estimate: 0.049,
          lower: null,
          upper: null,
          relativeError: 0.02,
          coversObserved: false,
        },
      ],
    });
    engine.insights.recordEvaluation("bandit-ope", "an older release", { rows: "many" });
    engine.insights.recordEvaluation("bandit-simulate", "first world", simulation("world", 10));
    engine.insights.recordEvaluation("bandit-simulate", "fitted", simulation("fitted", 3));
    engine.insights.recordEvaluation("bandit-simulate", "second world", simulation("world", 8));
    const res = await app.inject({ method: "GET", url: "/v1/home/evidence" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.ope).toHaveLength(1);
    expect(body.ope[0]).toMatchObject({
      command: "tastebud bandit ope --log l.csv --policy uniform",
      switchTau: "Infinity",
      drosLambda: "30",
      observed: { value: 0.05 },
    });
    expect(body.ope[0].estimates[1]).toEqual({
      estimator: "DRos",
      estimate: 0.049,
      lower: null,
      upper: null,
      relativeError: 0.02,
      coversObserved: false,
    });
    expect(body.simulations.map((s: { command: string }) => s.command)).toEqual(["second world", "fitted"]);
    expect(body.simulations[0].policies[0]).toEqual({
      policy: "random",
      meanCumulativeRegret: 8,
      regretVsRandom: 1,
      regretVsGreedy: null,
      rewardsPerDisplay: 0.25,
      regretPerRound: [4, 8],
    });
  });
});
