import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostileCorpus, hostilePlay, postRaw } from "./http-hostile-corpus.js";
import { type Running, start, storedPlays, trainedStore } from "./processes.js";

/**
 * A hostile corpus over HTTP against a real `tastebud serve` on loopback: malformed and truncated JSON,
 * bodies too deep or too big, bytes that are not UTF-8, lone surrogates, wrong content types and wrong
 * types. Each must get a 4xx JSON error that says what is wrong, or, for bad rows in a batch of events, a
 * 202 naming each bad row's field while its valid rows are stored; nothing refused may be stored, and the
 * server must go on answering.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-http-hostile-"));
const store = join(dir, "s.duckdb");
let server: Running;
let url: string;
let user: string;
let item: string;
let plays: number;

beforeAll(async () => {
  const { world, total } = await trainedStore(dir, store, { users: 60, items: 300, days: 10, seed: 6 });
  user = world.events[0].user;
  item = world.events[0].item;
  plays = total;
  server = start(["serve", "--port", "0", "--store", store, "--log-level", "info"]);
  const listening = await server.line((l) => l.includes("tastebud server listening"));
  if (listening === null) throw new Error(`serve did not start: ${server.stderr()}`);
  url = (JSON.parse(listening) as { url: string }).url;
});
afterAll(async () => {
  await server?.kill9();
  rmSync(dir, { recursive: true, force: true });
});

const play = (over: Record<string, unknown> = {}) => hostilePlay(item, over);
const json = (v: unknown) => JSON.stringify(v);
const post = (path: string, headers: Record<string, string>, body: string | Uint8Array) =>
  postRaw(url, path, headers, body);

describe("the hostile HTTP corpus against a real server", () => {
  it("answers each with a 4xx JSON error that says what is wrong, storing nothing of it", async () => {
    const answered: string[] = [];
    let stored = 0;
    for (const c of hostileCorpus(item)) {
      const headers: Record<string, string> = {};
      if (c.contentType !== null) headers["content-type"] = c.contentType ?? "application/json";
      const res = await post(c.path ?? "/v1/events", headers, c.body);
      const text = res.text;
      answered.push(`${c.name}: ${res.status} ${text.slice(0, 160)}`);
      console.info(answered.at(-1));
      expect(res.status, c.name).toBe(c.status);
      expect(res.type, c.name).toMatch(/^application\/json/);
      if (c.status === 202) {
        // A batch is taken row by row: the bad rows come back named by path and reason, the valid ones stay.
        const batch = JSON.parse(text) as { accepted: number; rejects: { path: string; reason: string }[] };
        expect(batch.accepted, c.name).toBe(c.accepted);
        expect(batch.rejects.map((r) => `${r.path} ${r.reason}`).join("\n"), c.name).toMatch(c.says);
        stored += batch.accepted;
        continue;
      }
      const body = JSON.parse(text) as { error: string; message: string; issues?: { path: string }[] };
      expect(typeof body.error, c.name).toBe("string");
      const said = `${body.error} ${body.message} ${(body.issues ?? []).map((i) => i.path).join(" ")}`;
      expect(said, c.name).toMatch(c.says);
    }
    // Still serving: health, a read from the store, a recommendation, and a valid write.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/v1/users/${encodeURIComponent(user)}/history`)).status).toBe(200);
    expect((await fetch(`${url}/v1/users/${encodeURIComponent(user)}/recommendations`)).status).toBe(200);
    const ok = await fetch(`${url}/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: json({ events: [play({ user: "fine-user" })] }),
    });
    expect(ok.status).toBe(202);
    await server.kill9();
    // Nothing of any refused body or row was stored: only the valid rows.
    expect(stored).toBe(1);
    expect(await storedPlays(store)).toBe(plays + stored + 1);
  });
});
