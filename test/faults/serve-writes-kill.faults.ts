import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, expect, it } from "vitest";
import { DuckDbEventStore, start } from "./processes.js";

/**
 * kill -9 of `tastebud serve` while concurrent POST /v1/events are in flight. The server commits writes
 * that arrive together in one group (src/store/group-commit.ts) and answers each only after its group's
 * commit: every play answered 202 must be in the store after the kill, once, and every batch stored must
 * have its ingest run (they share a transaction). Plays in flight at the kill may be stored or not.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-writes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITERS = 8;

it("kill -9 with writes in flight: every accepted play is stored once, each stored batch with its run", async () => {
  const store = join(dir, "w.duckdb");
  await (await DuckDbEventStore.open(store)).close();
  const server = start(["serve", "--port", "0", "--store", store, "--log-level", "info"]);
  const listening = await server.line((l) => l.includes("tastebud server listening"));
  if (listening === null) throw new Error(`serve did not start: ${server.stderr()}`);
  const url = (JSON.parse(listening) as { url: string }).url;

  const accepted: string[] = [];
  let inFlight = 0;
  let inFlightAtKill = -1;
  let killed = false;
  let next = 0;
  const writer = async (w: number) => {
    while (!killed) {
      // One play a batch, as a live client sends; every tenth batch repeats an id already sent.
      const id = next % 10 === 9 ? `p-${next - 5}` : `p-${next}`;
      next++;
      inFlight++;
      try {
        const res = await fetch(`${url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            events: [
              {
                eventId: id,
                user: `u${w}`,
                item: `song-${next % 50}`,
                endTime: new Date(Date.UTC(2025, 0, 1) + next * 1000).toISOString(),
                playedMs: 1000 + next,
              },
            ],
          }),
        });
        if (res.status === 202 && ((await res.json()) as { accepted: number }).accepted === 1)
          accepted.push(id);
      } catch {
        // The kill: a connection reset.
      } finally {
        inFlight--;
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  while (accepted.length < 300) await new Promise((r) => setTimeout(r, 5));
  inFlightAtKill = inFlight;
  await server.kill9();
  killed = true;
  await Promise.all(writers);
  // The kill landed with writes under way, not between them.
  expect(inFlightAtKill).toBeGreaterThan(0);

  const instance = await DuckDBInstance.create(store);
  const conn = await instance.connect();
  try {
    const rows = (
      await conn.runAndReadAll("SELECT event_id, count(*)::INTEGER FROM plays GROUP BY 1")
    ).getRows();
    const stored = new Map(rows.map((r) => [r[0] as string, r[1] as number]));
    // Nothing accepted is lost, nothing is stored twice.
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(accepted.length);
    // Each stored play came with its batch's ingest run: the runs' accepted counts add up to the plays.
    const [[runs, inRuns]] = (
      await conn.runAndReadAll(
        "SELECT count(*)::INTEGER, coalesce(sum(accepted), 0)::INTEGER FROM ingest_runs WHERE sources = '[\"http:/v1/events\"]'",
      )
    ).getRows();
    expect(inRuns).toBe(stored.size);
    expect(runs as number).toBeGreaterThanOrEqual(accepted.length);
    console.info(
      `killed with ${inFlightAtKill} writes in flight: ${accepted.length} accepted, ${stored.size} stored, ${runs} runs`,
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
});
