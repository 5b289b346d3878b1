import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { DuckDbEventStore, playsFile, start, storedPlays, tastebudOk } from "./processes.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-ingest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * 20,001 rows in batches of 2,000: ten batches after the first commit still to go when the kill is sent
 * (about a second of the ingest's CPU), far longer than the kill takes to arrive, and the counts below check
 * that it landed mid-ingest.
 */
const total = 20_001;
const batch = 2_000;

/**
 * Starts `tastebud ingest` of `total` plays in batches of `batch`, kills it (SIGKILL) on the first progress
 * line that starts with `marker`, checks that what is stored is whole batches only and mid-ingest, then runs
 * the same ingest again and checks that it completes with the exact total.
 */
async function killMidIngestThenRerun(format: "csv" | "jsonl", marker: string): Promise<void> {
  const file = playsFile(dir, total, format);
  const store = join(dir, `${format}.duckdb`);
  expect(total % batch).not.toBe(0);
  const args = ["ingest", file, "--store", store, "--batch-size", String(batch)];
  const ingest = start(args);
  const first = await ingest.line((l) => l.startsWith(marker));
  await ingest.kill9();
  expect(first, ingest.stderr()).not.toBeNull();

  const afterKill = await storedPlays(store);
  // Mid-ingest, and what it left is whole batches only (a JSON lines file has no header line, so each of the
  // bulk path's batches of 2,000 lines holds 2,000 plays).
  expect(afterKill).toBeGreaterThan(0);
  expect(afterKill).toBeLessThan(total);
  expect(afterKill % batch).toBe(0);

  const again = await tastebudOk(args);
  expect(again).toContain(
    `stored ${total - afterKill} new plays, ${afterKill} already in the store, 0 rejected`,
  );
  expect(await storedPlays(store)).toBe(total);
}

it("kill -9 mid-ingest keeps whole batches only; running it again completes it with the exact total", async () => {
  // A CSV of the generic format is read row by row (JSON lines take the bulk path, below). The first progress
  // line comes right after the first batch is committed (ingestIntoStore reports only then, and the CLI prints
  // its first report at once): killing on it lands with at least one batch stored and most still to come.
  await killMidIngestThenRerun("csv", "ingest (MB read): ");
});

it("kill -9 mid bulk ingest of JSON lines keeps whole batches only; running it again completes it exactly", async () => {
  // The bulk path reads the whole file first and reports "stored" right after its first batch is committed.
  await killMidIngestThenRerun("jsonl", "ingest (MB stored): ");
});

it("kill -9 mid-ingest of request events keeps whole batches only; running it again completes it exactly", async () => {
  const file = join(dir, "requests.jsonl");
  const lines: string[] = [];
  for (let k = 0; k < total; k++)
    lines.push(
      JSON.stringify({
        requestId: `r${k}`,
        user: `u${k % 97}`,
        time: new Date(Date.UTC(2025, 0, 1) + k * 60_000).toISOString(),
        text: `play song number ${k % 500}`,
        resolvedItem: `song-${k % 500}`,
        playedMs: 1000 * (k % 300),
      }),
    );
  writeFileSync(file, `${lines.join("\n")}\n`);
  const store = join(dir, "r.duckdb");
  const storedRequests = async () => {
    const s = await DuckDbEventStore.open(store);
    try {
      return await s.countRequests();
    } finally {
      await s.close();
    }
  };
  const ingest = start(["ingest", "--requests", file, "--store", store, "--batch-size", String(batch)]);
  // As for plays: the first progress line follows the first committed batch.
  const first = await ingest.line((l) => l.startsWith("ingest (MB read): "));
  await ingest.kill9();
  expect(first, ingest.stderr()).not.toBeNull();

  const afterKill = await storedRequests();
  expect(afterKill).toBeGreaterThan(0);
  expect(afterKill).toBeLessThan(total);
  expect(afterKill % batch).toBe(0);

  const again = await tastebudOk([
    "ingest",
    "--requests",
    file,
    "--store",
    store,
    "--batch-size",
    String(batch),
  ]);
  expect(again).toContain(
    `stored ${total - afterKill} new requests, ${afterKill} already in the store, 0 rejected`,
  );
  expect(await storedRequests()).toBe(total);
});
