import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, expect, it } from "vitest";
import { ScratchDatabases, start, storedPlays, tastebudOk } from "./processes.js";

const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-bulk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const scratch = new ScratchDatabases();
const unreachable = await scratch.unavailable();
if (unreachable) console.warn(`skipping the PostgreSQL bulk kill: ${unreachable}`);
afterAll(() => scratch.dropAll(), 60_000);

/**
 * Waits until no session but this one is connected to the store's database: the killed process's backend
 * may still be finishing (and rolling back) its statement when the process is gone.
 */
async function backendsGone(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (;;) {
      const r = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
      );
      if (r.rows[0].n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

/**
 * The bulk path (issue 14: DuckDB reads the Spotify CSV, then stores it in batches of line ranges) killed with
 * SIGKILL while it stores: 200,001 distinct plays in batches of 2,000 lines, a hundred commits after the first.
 */
const total = 200_001;
const batch = 2_000;

it.each([
  ["DuckDB", false],
  // Issue 22's path: DuckDB in memory reads and keys; the killed run's batches go straight into plays (no user
  // had a stored play when it began), the rerun's through the staging table.
  ["PostgreSQL", true],
])(
  "kill -9 mid bulk ingest keeps whole batches only; running it again completes it with the exact total (%s)",
  async (_name, postgres) => {
    if (postgres && unreachable) return;
    const rows = ["user_id,end_time,artist_name,track_name,ms_played"];
    for (let k = 0; k < total; k++) {
      const t = new Date(Date.UTC(2024, 0, 1) + k * 60_000).toISOString().slice(0, 16).replace("T", " ");
      rows.push(`u${k % 97},${t},Artist ${k % 50},Track ${k % 500},${1000 * (k % 300)}`);
    }
    const file = join(dir, "plays.csv");
    writeFileSync(file, `${rows.join("\n")}\n`);
    const store = postgres ? await scratch.create() : join(dir, "k.duckdb");
    const args = ["ingest", file, "--preset", "spotify", "--store", store, "--batch-size", String(batch)];
    const ingest = start(args);
    // The bulk path reports "stored" right after its first batch of plays is committed (the reading, and the
    // items' own transaction, come before): killing on it lands with one batch stored and a hundred to come.
    const first = await ingest.line((l) => l.startsWith("ingest (MB stored): "));
    await ingest.kill9();
    expect(first, ingest.stderr()).not.toBeNull();
    if (postgres) await backendsGone(store);

    const afterKill = await storedPlays(store);
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(total);
    // Whole batches: the first holds lines 1-2,000 (the header and 1,999 plays), each later one 2,000 plays.
    expect((afterKill - (batch - 1)) % batch).toBe(0);

    const again = await tastebudOk(args);
    expect(again).toContain(
      `stored ${total - afterKill} new plays, ${afterKill} already in the store, 0 rejected`,
    );
    expect(await storedPlays(store)).toBe(total);
  },
);
