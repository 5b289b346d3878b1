import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { start, storedPlays, tastebudOk, worldFile } from "./processes.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-ingest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("kill -9 mid-ingest keeps whole batches only; running it again completes it with the exact total", async () => {
  const { file, total } = worldFile(dir, { users: 250, items: 1000, days: 30, seed: 5 });
  const store = join(dir, "k.duckdb");
  const batch = 4_000;
  expect(total % batch).not.toBe(0);
  const ingest = start(["ingest", file, "--store", store, "--batch-size", String(batch)]);
  // The first progress line comes right after the first batch is committed (ingestIntoStore reports only
  // then, and the CLI prints its first report at once): killing on it lands with at least one batch stored
  // and most still to come. The counts below check that it did.
  const first = await ingest.line((l) => l.startsWith("ingest (MB read): "));
  await ingest.kill9();
  expect(first, ingest.stderr()).not.toBeNull();

  const afterKill = await storedPlays(store);
  // Mid-ingest, and what it left is whole batches only.
  expect(afterKill).toBeGreaterThan(0);
  expect(afterKill).toBeLessThan(total);
  expect(afterKill % batch).toBe(0);

  const again = await tastebudOk(["ingest", file, "--store", store, "--batch-size", String(batch)]);
  expect(again).toContain(
    `stored ${total - afterKill} new plays, ${afterKill} already in the store, 0 rejected`,
  );
  expect(await storedPlays(store)).toBe(total);
});
