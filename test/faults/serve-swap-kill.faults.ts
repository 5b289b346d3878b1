import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { currentServes, modelFolders, registered, start, trainedStore } from "./processes.js";

/**
 * kill -9 of `tastebud serve` while a training job it runs saves, registers and installs a new model (the
 * swap): the store opens afterwards, exactly one complete version is current and serves, nothing half
 * written is left, and a new server serves that version.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-swap-"));
const store = join(dir, "s.duckdb");
let user: string;
let first: string;

beforeAll(async () => {
  const { world, version } = await trainedStore(dir, store, { users: 100, items: 600, days: 20, seed: 4 });
  user = world.events[0].user;
  first = version;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a server on a free port and resolves with it and its address (from its log line). */
async function serve() {
  const server = start(["serve", "--port", "0", "--store", store, "--log-level", "info"]);
  const listening = await server.line((l) => l.includes("tastebud server listening"));
  if (listening === null) throw new Error(`serve did not start: ${server.stderr()}`);
  return { server, url: (JSON.parse(listening) as { url: string }).url };
}

/** Phases of a job from the save on: the swap. */
const swapping = /^(save model|register model|load for serving)/;

it("kill -9 during a model swap in serve: one complete version is current, and a new server serves it", async () => {
  const { server, url } = await serve();
  const started = await fetch(`${url}/v1/train`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // A top-N model too: the swap then also loads and indexes it, a longer window to land in.
    body: JSON.stringify({ factors: 64, epochs: 2, seed: 2 }),
  });
  expect(started.status).toBe(202);
  const { id } = ((await started.json()) as { job: { id: string } }).job;
  let seen = "";
  for (;;) {
    const job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as {
      status: string;
      progress: { phase: string };
    };
    seen = job.status === "running" ? job.progress.phase : job.status;
    if (swapping.test(seen) || ["succeeded", "failed", "cancelled"].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  await server.kill9();
  // The kill landed in the swap, not after the job had finished.
  expect(seen).toMatch(swapping);
  console.info(`serve killed at: ${seen}`);

  const versions = await registered(store);
  const left = modelFolders(`${store}.models`);
  expect(left.other.every((name) => name.startsWith(".tmp-"))).toBe(true);
  const current = await currentServes(store, user);
  expect(left.complete).toContain(current);
  expect(left.complete).toEqual(expect.arrayContaining(versions));
  expect(modelFolders(`${store}.models`).other).toEqual([]);
  expect(versions).toContain(first);

  // A new server answers with the registry's current version.
  const again = await serve();
  try {
    const answer = (await (await fetch(`${again.url}/v1/users/${user}/recommendations`)).json()) as {
      model: string;
    };
    expect(answer.model).toBe(current);
  } finally {
    await again.server.kill9();
  }
});
