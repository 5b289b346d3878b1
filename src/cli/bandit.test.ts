import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const main = new URL("./main.ts", import.meta.url).pathname;
const openBandit = new URL("../../../shared/data/open-bandit-dataset-men", import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("tastebud bandit", () => {
  it("ingests impressions and feedback files, naming bad lines, and reports the policy status", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-bandit-cli-"));
    const store = join(dir, "s.duckdb");
    const impressions = join(dir, "impressions.jsonl");
    const row = (k: number) => ({
      impressionId: `p:${k}`,
      pageId: "p",
      user: "u",
      time: "2024-03-01T09:00:00Z",
      slot: k,
      item: `i${k}`,
      policy: "logged",
      propensity: 0.25,
    });
    writeFileSync(
      impressions,
      `${[JSON.stringify(row(0)), JSON.stringify(row(1)), JSON.stringify({ ...row(2), propensity: 2 }), "{oops"].join("\n")}\n`,
    );
    const r = await run(["bandit", "ingest", impressions, "--store", store, "--json"]);
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ accepted: 2, rejected: 2 });
    expect(out.rejects.map((x: { line: number }) => x.line)).toEqual([3, 4]);
    expect(out.rejects[0].reason).toMatch(/^propensity/);
    const status = await run(["bandit", "status", "--store", store]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/no home policy yet/);
  }, 60_000);

  it("refuses an unknown policy name in simulate with a usage error", async () => {
    const r = await run(["bandit", "simulate", "--policies", "random,nope", "--rounds", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown policy nope/);
  }, 60_000);

  it("simulates home shelves in the listener world with regret against random and greedy, and refuses an unknown env", async () => {
    const r = await run([
      "bandit",
      "simulate",
      "--env",
      "world",
      "--world-users",
      "40",
      "--world-items",
      "300",
      "--world-days",
      "5",
      "--rounds",
      "3",
      "--users-per-round",
      "50",
      "--segments",
      "4",
      "--seeds",
      "1,2",
      "--policies",
      "random,greedy,linear-ucb",
      "--json",
    ]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.setup.env).toBe("world");
    expect(out.setup.seeds).toEqual([1, 2]);
    const byName = Object.fromEntries(
      out.policies.map((p: { policy: string; regretVsRandom: number; regretVsGreedy: number }) => [
        p.policy,
        p,
      ]),
    );
    expect(byName.random.regretVsRandom).toBe(1);
    expect(byName.greedy.regretVsGreedy).toBe(1);
    expect(byName["linear-ucb"].cumulativeRegret).toHaveLength(2);
    const bad = await run(["bandit", "simulate", "--env", "moon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--env moon is not known/);
  }, 120_000);

  it("writes a simulated impression log, ingests it, and fits a simulator to the store's own pages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-bandit-fitted-"));
    const store = join(dir, "s.duckdb");
    const prefix = join(dir, "sim");
    const args = (line: string) => line.split(" ");
    const world = "--world-users 30 --world-items 200 --world-days 4 --seeds 1";
    const logged = await run([
      ...args(
        `bandit simulate --env world ${world} --rounds 4 --users-per-round 40 --policies random --json`,
      ),
      "--log-impressions",
      prefix,
    ]);
    expect(logged.code).toBe(0);
    const ingest = (file: string, ...flags: string[]) =>
      run(["bandit", "ingest", file, ...flags, "--store", store, "--json"]);
    const impressions = await ingest(`${prefix}.impressions.jsonl`);
    expect(JSON.parse(impressions.stdout)).toMatchObject({ accepted: 4 * 40 * 12, rejected: 0 });
    // Feedback into a store without a catalogue is kept (no live policy to teach).
    const feedback = await ingest(`${prefix}.feedback.jsonl`, "--feedback");
    expect(feedback.code).toBe(0);
    expect(JSON.parse(feedback.stdout).rejected).toBe(0);
    const r = await run([
      ...args(
        "bandit simulate --env fitted --rounds 2 --users-per-round 30 --seeds 1 --policies random,greedy --json",
      ),
      "--impressions",
      store,
    ]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.setup.impressions).toBe(store);
    expect(out.setup.fit.pages).toBe(4 * 40);
    expect(out.setup.fit.weekProfile).toHaveLength(8);
    expect(out.policies.map((p: { policy: string }) => p.policy)).toEqual(["random", "greedy"]);
  }, 180_000);

  it.skipIf(!existsSync(openBandit))(
    "ope on the real Open Bandit log reports all six estimators and the knobs SLOPE chose",
    async () => {
      const r = await run([
        "bandit",
        "ope",
        "--log",
        join(openBandit, "bts.csv.gz"),
        "--policy",
        "uniform",
        "--observed",
        join(openBandit, "random.csv.gz"),
        "--refits",
        "3",
        "--resamples",
        "50",
        "--json",
      ]);
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout);
      expect(out.estimates.map((e: { estimator: string }) => e.estimator)).toEqual([
        "DM",
        "IPS",
        "SNIPS",
        "DR",
        "Switch-DR",
        "DRos",
      ]);
      // Plain IPS of uniform's CTR from the Thompson log, and the weights' mean: the figures in issue 16.
      expect(out.estimates[1].estimate).toBeCloseTo(0.00301, 5);
      expect(out.meanWeight).toBeCloseTo(0.943, 3);
      expect(out.observed.value).toBeCloseTo(0.0046, 6);
      for (const knob of [out.switchTau, out.drosLambda])
        expect(knob === "Infinity" || typeof knob === "number").toBe(true);
    },
    120_000,
  );
});
