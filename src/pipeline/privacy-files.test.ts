import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { computeNeighbourhoods, type Neighbourhoods } from "../core/privacy/neighbours.js";
import { Random } from "../core/random.js";
import { defaultEmbeddingPath, loadNeighbourhoods, readEmbeddingFile } from "./privacy-files.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the shipped embedding table", () => {
  it("is in the npm package, where defaultEmbeddingPath looks for it (privacy mode works when installed)", () => {
    const path = defaultEmbeddingPath();
    expect(existsSync(path)).toBe(true);
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: root,
        encoding: "utf8",
      }),
    ) as Array<{ files: Array<{ path: string }> }>;
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain(relative(root, path));
    expect(files).toContain("data/privacy/SOURCE.md");
    // The neighbourhood cache is derived per machine: never shipped.
    expect(files.some((f) => f.endsWith(".neighbours.bin"))).toBe(false);
  });
});

function tableText(seed: number, words = 600, d = 6): string {
  const rng = new Random(seed);
  const lines = [];
  for (let i = 0; i < words; i++)
    lines.push(`w${i} ${Array.from({ length: d }, () => (rng.normal() + (i % 7)).toFixed(4)).join(" ")}`);
  return `${lines.join("\n")}\n`;
}

function rows(nb: Neighbourhoods, words: number): number[][] {
  const out = [];
  for (let w = 0; w < words; w++) {
    const at = nb.rowOf(w);
    out.push(Array.from(nb.ids.subarray(at, at + nb.k)));
  }
  return out;
}

describe("a large table's lazy neighbourhoods and saved index", () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-hnsw-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // exactUpTo 0 puts this small table on the large tables' path.
  const options = { k: 8, exactUpTo: 0, threads: 1, largeIndex: "hnsw" as const };

  it("builds and saves the index once; a second opening views it and serves the same rows and Δ", async () => {
    const path = join(dir, "t.txt");
    writeFileSync(path, tableText(1));
    const file = await readEmbeddingFile(path);
    const first = loadNeighbourhoods(path, file, options);
    expect(first.cached).toBe(false);
    expect(existsSync(`${path}.hnsw.usearch`)).toBe(true);
    const second = loadNeighbourhoods(path, file, options);
    expect(second.cached).toBe(true);
    expect(second.seconds.buildIndex).toBeUndefined();
    expect(second.neighbourhoods.deltaMin).toBe(first.neighbourhoods.deltaMin);
    expect(second.neighbourhoods.deltaMax).toBe(first.neighbourhoods.deltaMax);
    expect(rows(second.neighbourhoods, 600)).toEqual(rows(first.neighbourhoods, 600));
    // Against the exact rows: the index's rows agree on nearly every neighbour.
    const exact = computeNeighbourhoods(file.table, { k: 8 });
    const got = rows(first.neighbourhoods, 600);
    let hits = 0;
    rows(exact, 600).forEach((r, w) => {
      for (const id of r) if (got[w].includes(id)) hits++;
    });
    expect(hits / (600 * 8)).toBeGreaterThan(0.95);
    expect(first.neighbourhoods.deltaMin).toBeGreaterThanOrEqual(exact.deltaMin);
    // Δ_min came from the saved graph's lists (not the fallback search) and is the exact one here.
    const header = JSON.parse(readFileSync(`${path}.hnsw.json`, "utf8"));
    expect(header.deltaMinFrom).toBe("graph");
    expect(first.neighbourhoods.deltaMin).toBeCloseTo(exact.deltaMin, 12);
  });

  it("rebuilds when the table's content changes, even at the same size and mtime", async () => {
    const path = join(dir, "u.txt");
    const text = tableText(2);
    writeFileSync(path, text);
    loadNeighbourhoods(path, await readEmbeddingFile(path), options);
    // Same length and mtime: one digit of w5's first value changed.
    const { mtime } = statSync(path);
    const at = text.indexOf("\nw5 ") + 4 + (text[text.indexOf("\nw5 ") + 4] === "-" ? 1 : 0);
    writeFileSync(path, `${text.slice(0, at)}${(Number(text[at]) + 1) % 10}${text.slice(at + 1)}`);
    utimesSync(path, mtime, mtime);
    const again = loadNeighbourhoods(path, await readEmbeddingFile(path), options);
    expect(again.cached).toBe(false);
  });

  it("the IVF path (the default): built and saved once, read back to the same rows and Δ; rebuilt on change", async () => {
    const path = join(dir, "i.txt");
    const text = tableText(4, 900);
    writeFileSync(path, text);
    const file = await readEmbeddingFile(path);
    const ivf = { k: 8, exactUpTo: 0 };
    const first = loadNeighbourhoods(path, file, ivf);
    expect(first.cached).toBe(false);
    expect(first.ivf).not.toBeNull();
    expect(existsSync(`${path}.ivf.bin`)).toBe(true);
    expect(existsSync(`${path}.hnsw.usearch`)).toBe(false);
    const second = loadNeighbourhoods(path, file, ivf);
    expect(second.cached).toBe(true);
    expect(second.seconds.buildIndex).toBeUndefined();
    expect(second.neighbourhoods.deltaMin).toBe(first.neighbourhoods.deltaMin);
    expect(second.neighbourhoods.deltaMax).toBe(first.neighbourhoods.deltaMax);
    expect(rows(second.neighbourhoods, 900)).toEqual(rows(first.neighbourhoods, 900));
    const exact = computeNeighbourhoods(file.table, { k: 8 });
    // Never below the true Δ_min (and the true one on this table).
    expect(first.neighbourhoods.deltaMin).toBeGreaterThanOrEqual(exact.deltaMin);
    expect(first.neighbourhoods.deltaMin).toBeCloseTo(exact.deltaMin, 12);
    let hits = 0;
    const got = rows(first.neighbourhoods, 900);
    rows(exact, 900).forEach((r, w) => {
      for (const id of r) if (got[w].includes(id)) hits++;
    });
    expect(hits / (900 * 8)).toBeGreaterThan(0.9);
    // A truncated file is not trusted: rebuilt.
    writeFileSync(`${path}.ivf.bin`, readFileSync(`${path}.ivf.bin`).subarray(0, 100));
    expect(loadNeighbourhoods(path, file, ivf).cached).toBe(false);
    // Changed content, same size: rebuilt.
    const at = text.indexOf("\nw5 ") + 4 + (text[text.indexOf("\nw5 ") + 4] === "-" ? 1 : 0);
    writeFileSync(path, `${text.slice(0, at)}${(Number(text[at]) + 1) % 10}${text.slice(at + 1)}`);
    expect(loadNeighbourhoods(path, await readEmbeddingFile(path), ivf).cached).toBe(false);
  });

  it("reads a gzipped table to the same vectors, hashing the compressed bytes", async () => {
    const plain = join(dir, "v.txt");
    writeFileSync(plain, tableText(3));
    writeFileSync(`${plain}.gz`, gzipSync(tableText(3)));
    const a = await readEmbeddingFile(plain);
    const b = await readEmbeddingFile(`${plain}.gz`);
    expect(b.table.vectors).toEqual(a.table.vectors);
    expect(b.table.words).toEqual(a.table.words);
    expect(b.sha256).not.toBe(a.sha256);
  });
});
