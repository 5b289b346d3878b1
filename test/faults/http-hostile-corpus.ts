import { request } from "node:http";

/**
 * The hostile HTTP corpus: malformed and truncated JSON, bodies too deep or too big, bytes that are not
 * UTF-8, lone surrogates, wrong content types and wrong types, each with the answer it must get. Used by
 * the fault suite (test/faults/http-hostile.faults.ts) and by `npm run bench -- hostile`, which measures
 * what well-formed requests see while it is sent.
 */
export interface HostileCase {
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

/** A valid play of `item` by "hostile-user", with fields replaced or added. */
export const hostilePlay = (item: string, over: Record<string, unknown> = {}) => ({
  user: "hostile-user",
  item,
  endTime: "2025-01-01T00:00:00Z",
  playedMs: 1000,
  ...over,
});

const deep = (n: number) => `{"events":${"[".repeat(n)}${"]".repeat(n)}}`;
const json = (v: unknown) => JSON.stringify(v);
const withBytes = (before: string, bytes: number[], after: string) =>
  new Uint8Array([...Buffer.from(before), ...bytes, ...Buffer.from(after)]);

/** The corpus, its valid rows playing `item` (one the server's catalogue knows). */
export function hostileCorpus(item: string): HostileCase[] {
  const play = (over: Record<string, unknown> = {}) => hostilePlay(item, over);
  return [
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
}

/**
 * POSTs through node:http rather than fetch. A body over the limit is refused on its Content-Length, with
 * 413 at once, and the server closes the connection: a client still writing then sees only EPIPE. So a body
 * over 1 MiB is announced whole, its first 64 KiB sent, and the answer read before anything more.
 */
export function postRaw(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
) {
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
