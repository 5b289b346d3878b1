import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readSource } from "./index.js";

const ROWS = 200_000;
let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-throughput-"));
  file = join(dir, "plays.csv");
  const t0 = Date.parse("2021-01-01T00:00:00Z");
  const lines = ["user,item,endTime,playedMs,itemLengthMs"];
  for (let i = 0; i < ROWS; i++) {
    const end = new Date(t0 + i * 60_000).toISOString().slice(0, 19);
    lines.push(
      `u${i % 50},Artist ${i % 997}|Track ${i % 3001},${end}Z,${(i * 7919) % 400_000},${200_000 + (i % 1000)}`,
    );
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A generated 200k-row CSV. The floor is far below what an idle machine does (about 300k rows/s on one core
 * of the project's machine, compiled) so that a busy CI machine does not fail it; it catches a reader that
 * has become several times slower.
 */
it("reads a 200k-row CSV quickly", async () => {
  let best = 0;
  for (let round = 0; round < 2; round++) {
    const start = performance.now();
    let plays = 0;
    for await (const r of readSource([file])) if (r.kind === "play") plays++;
    expect(plays).toBe(ROWS);
    best = Math.max(best, ROWS / ((performance.now() - start) / 1000));
  }
  console.log(`ingest throughput: ${Math.round(best)} rows/s (generic CSV, ${ROWS} rows)`);
  expect(best).toBeGreaterThan(50_000);
});
