/**
 * A load client in its own process, so that the server's heap in the bench process holds only the
 * server's own objects (bench/memory.ts). Sends `count` requests, `connections` at a time over keep-alive
 * sockets; `{k}` in the path or body becomes the request's number (from `first`).
 *   node bench/http-client.mjs <base-url> <json options>
 * options: { method, path, body, headers, count, first, connections }. Prints {"sent","failed","seconds"}.
 */
import http from "node:http";

const base = process.argv[2];
const o = JSON.parse(process.argv[3]);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections ?? 4 });
const url = new URL(base);
let next = o.first ?? 0;
const end = next + o.count;
let failed = 0;

function one(k) {
  const fill = (s) => s.replaceAll("{k}", String(k));
  const body = o.body === undefined ? undefined : fill(JSON.stringify(o.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: o.method ?? "GET",
        path: fill(o.path),
        headers: { ...(o.headers ?? {}), ...(body ? { "content-type": "application/json" } : {}) },
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode >= 400) failed++;
          resolve();
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const started = performance.now();
await Promise.all(
  Array.from({ length: o.connections ?? 4 }, async () => {
    while (next < end) await one(next++);
  }),
);
agent.destroy();
process.stdout.write(
  `${JSON.stringify({ sent: o.count, failed, seconds: (performance.now() - started) / 1000 })}\n`,
);
