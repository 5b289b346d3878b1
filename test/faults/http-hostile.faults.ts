import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const play = (over: Record<string, unknown> = {}) => ({
  user: "hostile-user",
  item,
  endTime: "2025-01-01T00:00:00Z",
  playedMs: 1000,
  ...over,
});

interface Case {
  name: string;
  path?: string;
  contentType?: string | null;
  body: string | Uint8Array;
  status: number;
  /** What the answer's error code or message (or, for a 202, its rejects' paths and reasons) must contain. */
  says: RegExp;
  /** For a batch with bad rows (202): how many of its rows are valid and stored. */
  accepted?: number;
}

const deep = (n: number) => `{"events":${"[".repeat(n)}${"]".repeat(n)}}`;
const json = (v: unknown) => JSON.stringify(v);
const withBytes = (before: string, bytes: number[], after: string) =>
  new Uint8Array([...Buffer.from(before), ...bytes, ...Buffer.from(after)]);

const corpus = (): Case[] => [
  { name: "truncated JSON", body: json({ events: [play()] }).slice(0, 40), status: 400, says: /JSON/i },
  { name: "not JSON at all", body: "events=1", status: 400, says: /JSON/i },
  { name: "empty body", body: "", status: 400, says: /body|JSON/i },
  { name: "a bare array", body: json([play()]), status: 400, says: /validation|events/ },
  { name: "nested 100,000 deep", body: deep(100_000), status: 400, says: /json-too-deep/ },
  {
    name: "a string of 200,000 characters",
    body: json({ events: [play({ user: "x".repeat(200_000) })] }),
    status: 400,
    says: /json-string-too-long/,
  },
  {
    name: "a body over the ingest limit (17 MiB)",
    body: json({ events: [play({ pad: "y".repeat(60_000) })] }).padEnd(17 * 2 ** 20, " "),
    status: 413,
    says: /body-too-large/,
  },
  {
    name: "a read route's body over 64 KiB",
    path: "/v1/resolve",
    body: json({ request: "play hello", user: "u", pad: "z".repeat(60_000), more: "z".repeat(10_000) }),
    status: 413,
    says: /body-too-large/,
  },
  {
    name: "bytes that are not UTF-8 in an id",
    body: withBytes(
      '{"events":[{"user":"bad',
      [0xff, 0xfe],
      `","item":"${item}","endTime":"2025-01-01T00:00:00Z","playedMs":1}]}`,
    ),
    status: 400,
    says: /UTF-8/,
  },
  {
    name: "a lone surrogate in an id",
    body: `{"events":[{"user":"lone\\ud800","item":"${item}","endTime":"2025-01-01T00:00:00Z","playedMs":1}]}`,
    status: 202,
    says: /events\[0\]\.user .*surrogate/,
    accepted: 0,
  },
  {
    name: "text/plain (what a cross-site form sends)",
    contentType: "text/plain",
    body: json({ events: [play()] }),
    status: 415,
    says: /unsupported-media-type .*application\/json/,
  },
  {
    name: "no content type",
    contentType: null,
    body: json({ events: [play()] }),
    status: 415,
    says: /unsupported-media-type .*application\/json/,
  },
  {
    name: "a wrong type, named by its path",
    body: json({ events: [play({ user: "valid-row" }), play({ playedMs: "long" })] }),
    status: 202,
    says: /events\[1\]\.playedMs/,
    accepted: 1,
  },
  {
    name: "an id over 200 characters, named by its path",
    body: json({ events: [play({ user: "u".repeat(201) })] }),
    status: 202,
    says: /events\[0\]\.user/,
    accepted: 0,
  },
  {
    name: "a prototype-poisoning key",
    body: `{"events":[],"__proto__":{"polluted":true}}`,
    status: 400,
    says: /proto|JSON|validation/i,
  },
];

/**
 * POSTs through node:http rather than fetch. A body over the limit is refused on its Content-Length, with
 * 413 at once, and the server closes the connection: a client still writing then sees only EPIPE. So a body
 * over 1 MiB is announced whole, its first 64 KiB sent, and the answer read before anything more.
 */
function post(path: string, headers: Record<string, string>, body: string | Uint8Array) {
  const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
  return new Promise<{ status: number; type: string; text: string }>((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method: "POST", headers: { ...headers, "content-length": String(bytes.length) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), text });
          req.destroy();
        });
      },
    );
    req.on("error", reject);
    if (bytes.length > 2 ** 20) req.write(bytes.subarray(0, 64 * 1024));
    else req.end(bytes);
  });
}

describe("the hostile HTTP corpus against a real server", () => {
  it("answers each with a 4xx JSON error that says what is wrong, storing nothing of it", async () => {
    const answered: string[] = [];
    let stored = 0;
    for (const c of corpus()) {
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
