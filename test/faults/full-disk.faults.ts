import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  currentServes,
  modelFolders,
  quickTrain,
  registered,
  start,
  storedPlays,
  tastebud,
  tastebudOk,
  worldFile,
} from "./processes.js";

/**
 * A full disk, for real: the store lives on a tmpfs of a few MB (root may mount one; elsewhere the file is
 * skipped, saying why). DuckDB then fails at COMMIT with "No space left on device"; the command must say so
 * in one line and exit non-zero, and the store must hold whole batches only and take the rest once there
 * is room again.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-full-disk-"));
const disk = join(dir, "disk");
mkdirSync(disk);

function mountTmpfs(): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk], { stdio: "pipe" });
    return null;
  } catch (err) {
    return ((err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message).trim();
  }
}
const refused = mountTmpfs();
if (refused) console.warn(`full-disk faults skipped: cannot mount a tmpfs (${refused})`);

afterAll(() => {
  if (!refused) execFileSync("umount", [disk]);
  rmSync(dir, { recursive: true, force: true });
});

const resize = (size: string) => execFileSync("mount", ["-o", `remount,size=${size}`, disk]);
const store = join(disk, "s.duckdb");

/** Fills what is left of the disk with one file; returns its path. */
function fill(): string {
  const path = join(disk, "filler");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

/** One line naming the cause, and no stack trace: what a user can act on. */
function expectClearNoSpace(stderr: string) {
  expect(stderr).toMatch(/^tastebud: .*(No space left on device|ENOSPC)/m);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe.skipIf(refused !== null)("a full disk", () => {
  const { file, total, world } = worldFile(dir, { users: 150, items: 800, days: 30, seed: 8 });
  const batch = 3_000;

  it("ingest fails at a commit with a clear error, keeps whole batches, and completes once there is room", async () => {
    const full = await tastebud(["ingest", file, "--store", store, "--batch-size", String(batch)]);
    expect(full.code).toBe(1); // ingest's "the ingest failed" (3 would mean rows were rejected)
    expectClearNoSpace(full.stderr);

    resize("64m");
    const kept = await storedPlays(store);
    expect(kept).toBeLessThan(total);
    expect(kept % batch).toBe(0);
    const again = await tastebudOk(["ingest", file, "--store", store, "--batch-size", String(batch)]);
    expect(again).toContain(`stored ${total - kept} new plays, ${kept} already in the store, 0 rejected`);
  });

  it("train on a full disk fails clearly; the previous model stays current and the next training works", async () => {
    const quick = ["--factors", "8", "--epochs", "2", "--seed", "1", "--no-topn", "--store", store];
    // The model that must stay current (the same settings, trained in this process).
    const before = await quickTrain(store);
    const filler = fill();
    const failed = await tastebud(["train", ...quick]);
    expect(failed.code).not.toBe(0);
    expectClearNoSpace(failed.stderr);
    rmSync(filler);

    expect(await registered(store)).toEqual([before]);
    expect(await currentServes(store, world.events[0].user)).toBe(before);
    // The failed save's temporary folder is gone once a process has opened the store again.
    expect(modelFolders(`${store}.models`)).toEqual({ complete: [before], other: [] });
    const after = JSON.parse(await tastebudOk(["train", "--json", ...quick])).version;
    expect(await currentServes(store, world.events[0].user)).toBe(after);
  });
  it("a server whose disk fills answers writes with a clear error, keeps what it committed, and serves reads", async () => {
    const before = await storedPlays(store);
    const server = start(["serve", "--port", "0", "--store", store, "--log-level", "info"]);
    try {
      const listening = await server.line((l) => l.includes("tastebud server listening"));
      if (listening === null) throw new Error(`serve did not start: ${server.stderr()}`);
      const url = (JSON.parse(listening) as { url: string }).url;
      const post = (k: number) =>
        fetch(`${url}/v1/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            events: Array.from({ length: 500 }, (_, j) => ({
              user: `disk-${k}-${j % 50}`,
              item: world.events[j].item,
              endTime: new Date(Date.UTC(2025, 0, 1) + (k * 500 + j) * 1000).toISOString(),
              playedMs: 60_000 + j,
            })),
          }),
        });
      const first = await post(0);
      expect(first.status).toBe(202);
      let accepted = ((await first.json()) as { accepted: number }).accepted;
      const filler = fill();
      let refused: Response | null = null;
      for (let k = 1; k < 200 && refused === null; k++) {
        const r = await post(k);
        if (r.status === 202) accepted += ((await r.json()) as { accepted: number }).accepted;
        else refused = r;
      }
      expect(refused, "no write failed on a full disk").not.toBeNull();
      const answer = (await refused?.json()) as { error: string; message: string };
      console.info(`full disk under POST /v1/events: ${refused?.status} ${JSON.stringify(answer)}`);
      expect(refused?.status).toBe(507);
      expect(answer.error).toBe("insufficient-storage");
      expect(answer.message).toMatch(/disk is full/);
      // Reads go on: a recommendation (the model in memory) and a user's history (from the store).
      const user = encodeURIComponent(world.events[0].user);
      expect((await fetch(`${url}/v1/users/${user}/recommendations`)).status).toBe(200);
      expect((await fetch(`${url}/v1/users/${user}/history`)).status).toBe(200);
      rmSync(filler);
      // With room again, writes are taken again.
      const again = await post(999);
      expect(again.status).toBe(202);
      accepted += ((await again.json()) as { accepted: number }).accepted;
      await server.kill9();
      // Exactly the accepted batches are stored: none of the refused one, none twice.
      expect(await storedPlays(store)).toBe(before + accepted);
    } finally {
      await server.kill9();
    }
  });
});
