import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { squaredDistanceTo } from "../core/privacy/embeddings.js";
import { Random } from "../core/random.js";
import { Engine } from "../engine.js";
import { PrivacyTable, parsePrivacyMode } from "./privacy.js";
import { writeSmallEmbeddingTable } from "./privacy-test-table.js";

const secret = "Zanzibarquux";
function writeRequests(dir: string, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => ({
    requestId: `r${i}`,
    user: i % 2 ? "ann" : "bob",
    time: new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString(),
    text: `please play the song by ${secret} number${i}`,
  }));
  const path = join(dir, "requests.jsonl");
  writeFileSync(
    path,
    `${rows.map((r) => JSON.stringify(r)).join("\n")}\n{"requestId": "bad", "user": "ann", "text": "play ${secret}"}\n`,
  );
  return path;
}

/**
 * Every value of every table in the store file, read back through a fresh DuckDB instance (the file's
 * strings are compressed, so its raw bytes would not show a leak).
 */
async function storeContents(dir: string): Promise<string> {
  const instance = await DuckDBInstance.create(join(dir, "store.duckdb"));
  const conn = await instance.connect();
  try {
    const tables = (await conn.runAndReadAll("SELECT table_name FROM information_schema.tables")).getRows();
    let all = "";
    for (const [name] of tables) {
      const rows = (await conn.runAndReadAll(`SELECT * FROM "${name}"`)).getRows();
      all += JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    }
    return all;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function ingest(dir: string, privacy?: string) {
  const engine = await Engine.open({
    store: join(dir, "store.duckdb"),
    models: join(dir, "models"),
    ...(privacy ? { privacy: parsePrivacyMode(privacy) } : {}),
  });
  try {
    const summary = await engine.events.ingestRequests([writeRequests(dir, 40)], {
      rejectsPath: join(dir, "rejects.jsonl"),
    });
    const stored = await engine.store.scanRequests();
    const spent = await engine.store.privacySpent(["ann", "bob"]);
    return { summary, stored, spent };
  } finally {
    await engine.close();
  }
}

describe("privacy mode", () => {
  it("control: without it the raw text is in the store files (so the check below can fail)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-privacy-"));
    const { stored } = await ingest(dir);
    expect(stored[0].text).toContain(secret);
    expect(await storeContents(dir)).toContain("please play the song by");
  });

  it("never writes raw request text: not to the store files, not to the rejects file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-privacy-"));
    const table = writeSmallEmbeddingTable(dir);
    const { summary, stored, spent } = await ingest(dir, `epsilon=2,mechanism=laplace,table=${table},seed=3`);
    expect(summary).toMatchObject({ accepted: 40, rejected: 1 });
    const contents = await storeContents(dir);
    expect(contents.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(contents).not.toContain("number1");
    expect(contents).toContain("<unk>");
    expect(readFileSync(join(dir, "rejects.jsonl"), "utf8")).not.toContain(secret);
    // Out-of-vocabulary words became placeholders; the vocabulary words were drawn through the mechanism.
    for (const r of stored) {
      const tokens = r.text.split(" ");
      expect(tokens).toHaveLength(7);
      expect(tokens.slice(5)).toEqual(["<unk>", "<unk>"]);
    }
    // At ε = 2 in 8 dimensions the noise (mean norm 4) moves many words.
    const changed = stored.filter((r) => !r.text.startsWith("please play the song by")).length;
    expect(changed).toBeGreaterThan(20);
    // Ledger: 5 vocabulary words × ε = 2 per request, 20 requests each.
    expect(spent.get("ann")).toBeCloseTo(20 * 5 * 2, 9);
    expect(spent.get("bob")).toBeCloseTo(20 * 5 * 2, 9);
  });

  it("refuses requests past a user's cap, or withholds their text, as configured; the ledger persists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-privacy-"));
    const table = writeSmallEmbeddingTable(dir);
    const refused = await ingest(dir, `epsilon=1,mechanism=laplace,cap=12,table=${table}`);
    // 5 ε per request: two fit under 12 for each user, the rest are refused with the reason.
    expect(refused.summary).toMatchObject({ accepted: 4, rejected: 37 });
    expect(refused.spent).toEqual(
      new Map([
        ["ann", 10],
        ["bob", 10],
      ]),
    );
    const rejects = readFileSync(join(dir, "rejects.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rejects.find((r) => r.raw === "r4")).toMatchObject({ field: "text", line: 5 });
    expect(rejects.find((r) => r.raw === "r4").reason).toMatch(
      /budget exhausted: user has spent ε = 10 of the cap 12/,
    );

    const dir2 = mkdtempSync(join(tmpdir(), "tastebud-privacy-"));
    const withheld = await ingest(
      dir2,
      `epsilon=10,mechanism=gumbel,cap=120,over=withhold,table=${writeSmallEmbeddingTable(dir2)}`,
    );
    expect(withheld.summary).toMatchObject({ accepted: 40, rejected: 1 });
    expect(withheld.stored.filter((r) => r.text === "<withheld>")).toHaveLength(36);
  });

  it("Laplace with the exact search outputs the brute-force nearest word to the same noisy vector", async () => {
    const pt = await PrivacyTable.open(
      writeSmallEmbeddingTable(mkdtempSync(join(tmpdir(), "tastebud-exact-"))),
    );
    const exact = pt.mechanism("laplace", 2, "exact");
    const indexed = pt.mechanism("laplace", 2, "indexed");
    const d = pt.table.dimensions;
    let same = 0;
    for (let k = 0; k < 200; k++) {
      const word = k % pt.table.size;
      // The same seed draws the same noise in both; only the nearest-word rule differs.
      const a = exact.perturb(word, new Random(k));
      const b = indexed.perturb(word, new Random(k));
      if (a === b) same++;
      // Redraw the noise to check the exact output against a slow scan.
      const noise = new Float64Array(d);
      (exact as unknown as { drawNoise(r: Random, z: Float64Array): void }).drawNoise(new Random(k), noise);
      const noisy = Float32Array.from(pt.table.vector(word), (v, j) => v + noise[j]);
      let best = 0;
      for (let w = 1; w < pt.table.size; w++)
        if (squaredDistanceTo(pt.table, w, noisy) < squaredDistanceTo(pt.table, best, noisy)) best = w;
      expect(a).toBe(best);
    }
    expect(same).toBeGreaterThan(150);
  });

  it("names the bad key or value of --privacy", () => {
    expect(() => parsePrivacyMode("epsilon=0")).toThrow(/epsilon must be a positive number/);
    expect(() => parsePrivacyMode("epsilon=1,mech=gumbel")).toThrow(/unknown key "mech"/);
    expect(() => parsePrivacyMode("epsilon=1,mechanism=rot13")).toThrow(/one of laplace, gumbel/);
    expect(parsePrivacyMode("epsilon=30")).toMatchObject({
      epsilon: 30,
      mechanism: "gumbel",
      cap: Number.POSITIVE_INFINITY,
      overBudget: "refuse",
      oov: "placeholder",
    });
  });
});
