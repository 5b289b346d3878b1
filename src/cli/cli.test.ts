import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../core/random.js";

const main = new URL("./main.ts", import.meta.url).pathname;

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = start(args);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** 1,000 plays with about 1% malformed rows of several kinds. */
function writeMalformedCsv(path: string): { valid: number; bad: Array<{ line: number; field: string }> } {
  const rng = new Random(99);
  const lines = ["user,item,endTime,playedMs"];
  const bad: Array<{ line: number; field: string }> = [];
  let valid = 0;
  for (let n = 0; n < 1000; n++) {
    const line = lines.length + 1;
    const t = new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
    if (n % 100 === 37) {
      const kind = (n / 100) | 0;
      if (kind % 3 === 0) {
        lines.push(`u${n % 7},song${n % 50},${t},abc`);
        bad.push({ line, field: "playedMs" });
      } else if (kind % 3 === 1) {
        lines.push(`u${n % 7},,${t},1000`);
        bad.push({ line, field: "item" });
      } else {
        lines.push(`u${n % 7},song${n % 50},not-a-date,1000`);
        bad.push({ line, field: "endTime" });
      }
      continue;
    }
    lines.push(`u${n % 7},song${n % 50},${t},${Math.floor(rng.next() * 300_000)}`);
    valid++;
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
  return { valid, bad };
}

describe("tastebud CLI", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-cli-"));
  const store = join(dir, "t.duckdb");

  it("stores every valid row of a file with ~1% bad rows, reports each bad one, exits 3, and adds nothing on re-ingest", async () => {
    const csv = join(dir, "plays.csv");
    const { valid, bad } = writeMalformedCsv(csv);
    const rejects = join(dir, "rejects.jsonl");
    const first = await run(["ingest", csv, "--store", store, "--rejects", rejects, "--json"]);
    expect(first.code).toBe(3);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      accepted: valid,
      rejected: bad.length,
      duplicates: 0,
      rejectsFile: rejects,
    });
    const lines = () =>
      readFileSync(rejects, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const [header, ...rows] = lines();
    // Each run's rejects follow a line naming the run.
    expect(header).toEqual({ run: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), sources: [csv] });
    expect(rows.map((r) => ({ line: r.line, field: r.field }))).toEqual(bad);
    for (const r of rows) {
      expect(r.file).toContain("plays.csv");
      expect(r.reason.length).toBeGreaterThan(5);
      expect(typeof r.raw).toBe("string");
    }
    const again = await run(["ingest", csv, "--store", store, "--rejects", rejects, "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, duplicates: valid, storedPlays: valid });
    // The second run appends its rejects after its own header: the first run's are still there.
    const both = lines();
    expect(both).toHaveLength(2 * (1 + bad.length));
    expect(both.slice(0, 1 + bad.length)).toEqual([header, ...rows]);
    expect(both[1 + bad.length].run > header.run).toBe(true);
    expect(both.slice(2 + bad.length)).toEqual(rows);
  });

  it("shows an ingest's rows beside its megabytes in the progress it logs", async () => {
    const csv = join(dir, "plays-progress.csv");
    const { valid, bad } = writeMalformedCsv(csv);
    const other = join(dir, "progress.duckdb");
    const r = await run(["ingest", csv, "--store", other, "--rejects", join(dir, "progress-rejects.jsonl")]);
    expect(r.code).toBe(3);
    // Not a terminal here, so progress comes as log lines; the last one counts the whole file.
    const last = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("ingest (MB "))
      .at(-1);
    expect(last).toContain(
      `rows: ${valid.toLocaleString("en")} stored, 0 already there, ${bad.length} rejected`,
    );
  });

  it("says a usage mistake in one line with exit code 2", async () => {
    const r = await run(["train", "--store", store, "--factors", "lots"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--factors");
    expect(r.stderr).not.toContain("    at ");
  });

  it("fails cleanly when a file is missing, keeping the store usable", async () => {
    const r = await run(["ingest", join(dir, "nope.csv"), "--store", store]);
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("tastebud: "));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("nope.csv");
    expect(r.stderr).not.toContain("    at ");
  });
});

describe("tastebud CLI on a simulated world", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-sim-"));
  const store = join(dir, "sim.duckdb");
  const world = join(dir, "world");

  beforeAll(async () => {
    const sim = await run([
      "simulate",
      "--users",
      "60",
      "--items",
      "300",
      "--days",
      "20",
      "--seed",
      "3",
      "--out",
      world,
      "--json",
    ]);
    expect(sim.code).toBe(0);
    const ing = await run([
      "ingest",
      join(world, "events.jsonl"),
      "--catalogue",
      join(world, "catalogue.jsonl"),
      "--store",
      store,
      "--json",
    ]);
    expect(ing.code).toBe(0);
  });

  it("trains a model version atomically and answers affinity with its parts", async () => {
    const train = await run(["train", "--store", store, "--factors", "16", "--epochs", "20", "--json"]);
    expect(train.code).toBe(0);
    const t = JSON.parse(train.stdout);
    const versions = readdirSync(`${store}.models`);
    expect(versions).toEqual([t.version]);
    expect(existsSync(join(t.path, "manifest.json"))).toBe(true);
    const events = readFileSync(join(world, "events.jsonl"), "utf8")
      .split("\n", 50)
      .map((l) => JSON.parse(l));
    const user = events[0].user as string;
    const r = await run([
      "affinity",
      "--store",
      store,
      "--user",
      user,
      "--item",
      events[0].item,
      "--item",
      "Adele|Hello",
      "--item",
      "no-such-item",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout);
    expect(answer.user).toBe(user);
    expect(answer.items).toHaveLength(3);
    expect(answer.items[0]).toMatchObject({ item: events[0].item, source: "personal" });
    expect(answer.items[0].affinity).toBeGreaterThan(0);
    expect(answer.items[0].affinity).toBeLessThan(1);
    expect(answer.items[2]).toMatchObject({ source: "unknown-item", mf: null });
    const stranger = JSON.parse(
      (await run(["affinity", "--store", store, "--user", "nobody", "--item", "Adele|Hello", "--json"]))
        .stdout,
    );
    expect(stranger.items[0].source).toBe("popularity");
  });

  it("teaches, lists and forgets a preference, and recommend obeys it", async () => {
    const user = JSON.parse(readFileSync(join(world, "events.jsonl"), "utf8").split("\n", 1)[0]).user;
    const add = await run([
      "prefs",
      "add",
      user,
      "never",
      "play",
      "christmas",
      "songs",
      "--store",
      store,
      "--json",
    ]);
    expect(add.code).toBe(0);
    const fact = JSON.parse(add.stdout).facts[0];
    expect(fact).toMatchObject({ polarity: "never", target: { type: "tag", value: "christmas" } });
    const recs = JSON.parse(
      (
        await run([
          "recommend",
          "--user",
          user,
          "-n",
          "40",
          "--tags",
          "christmas,pop",
          "--store",
          store,
          "--json",
        ])
      ).stdout,
    );
    const catalogue = readFileSync(join(world, "catalogue.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const christmas = new Set(catalogue.filter((c) => c.tags?.includes("christmas")).map((c) => c.id));
    expect(recs.items.length).toBeGreaterThan(0);
    for (const r of recs.items) expect(christmas.has(r.item)).toBe(false);
    expect(recs.preferences[0].reason).toMatch(/never play christmas songs/i);
    const list = await run(["prefs", "list", user, "--store", store, "--json"]);
    expect(JSON.parse(list.stdout).preferences.map((p: { id: string }) => p.id)).toEqual([fact.id]);
    expect((await run(["prefs", "rm", user, fact.id, "--store", store])).code).toBe(0);
    expect((await run(["prefs", "rm", user, fact.id, "--store", store])).code).toBe(1);
    const nonsense = await run(["prefs", "add", user, "what", "time", "is", "it?", "--store", store]);
    expect(nonsense.code).toBe(1);
    expect(nonsense.stderr).toMatch(/not a preference/);
  });

  it("prints the eval report as JSON with every metric key", async () => {
    const r = await run([
      "eval",
      "--store",
      store,
      "--split-per-user",
      "0.8",
      "--factors",
      "16",
      "--epochs",
      "20",
      "--truth",
      join(world, "truth.json"),
      "--json",
    ]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const keys = [
      "spearman",
      "spearmanPerUser",
      "pearson",
      "kendall",
      "auc",
      "ndcg@10",
      "recall@10",
      "map@10",
      "coverage",
      "scored",
    ];
    for (const m of [report.model, report.recommender, ...Object.values(report.baselines)] as Array<
      Record<string, unknown>
    >) {
      for (const k of keys) expect(m).toHaveProperty(k);
      expect(m).toHaveProperty("replay.spearman");
      expect(m).toHaveProperty("new.spearman");
    }
    expect(Object.keys(report.baselines).sort()).toEqual([
      "ease",
      "history",
      "itemKnn",
      "mf",
      "popularity",
      "wrmf",
    ]);
    // The served top-N model is chosen on the training side and says which it is.
    expect(report.recommender.choice.recommender).toMatch(
      /^(ease|dlae|edlae|item-knn|ease\+item-knn|warp|popularity)$/,
    );
    expect(report.recommender.validation.best.length).toBeGreaterThan(0);
    expect(report.split).toEqual({ kind: "per-user", share: 0.8 });
    expect(report.truth.model.all).toBeGreaterThan(report.truth.popularity.all);
  });

  it("eval --thresholds: one report per seed with every policy at each P*, and a clear error for a bad --bootstrap", async () => {
    const args = ["eval", "--thresholds", "--store", store, "--seeds", "2", "--epochs", "5", "--json"];
    const r = await run([...args, "--bootstrap", "2"]);
    expect(r.code).toBe(0);
    const { runs } = JSON.parse(r.stdout);
    expect(runs.map((x: { seed: number }) => x.seed)).toEqual([1, 2]);
    for (const x of runs) {
      expect(x.split).toEqual({ kind: "per-user", share: 0.8 });
      expect(Object.keys(x.thresholds.byPrecision)).toEqual(["0.8", "0.9", "0.95"]);
      for (const q of Object.values(x.thresholds.byPrecision) as Array<Record<string, object>>) {
        expect(q.single).toHaveProperty("recall");
        expect(Object.keys(q.mist).sort()).toEqual(["bootstrap", "evidence"]);
        expect(Object.keys(q.ewDpmt).sort()).toEqual(["bootstrap", "evidence"]);
      }
    }
    const bad = await run([...args, "--bootstrap", "1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--bootstrap expects a whole number of members, at least 2/);
  });

  it("tells a second process that the store is in use (exit 4)", async () => {
    // Enough epochs that it still holds the store however slowly the second process starts; killed below.
    const holder = start(["eval", "--store", store, "--split", "0.8", "--epochs", "5000"]);
    try {
      // Its first progress line means it has opened the store.
      await new Promise((r) => holder.stderr?.once("data", r));
      const r = await run(["train", "--store", store]);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/in use by another process .*PID \d+/);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});
