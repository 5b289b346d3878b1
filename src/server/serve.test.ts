import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "../config.js";
import { simulateWorld } from "../core/simulate/index.js";
import { Engine } from "../engine.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "../store/event-key.js";
import { ServerConfigError } from "./app.js";
import { readServerFile, type ServerFile, serverFilePath, startServer } from "./serve.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");

let dir: string;
let store: string;
let knownUser: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-serve-"));
  store = join(dir, "store.duckdb");
  const engine = await Engine.open({ store });
  try {
    const world = simulateWorld({ users: 60, items: 300, days: 20, seed: 3 });
    await engine.store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
    const counter = new OccurrenceCounter();
    await engine.store.appendPlays(
      world.events.map((event) => ({ key: counter.keyFor(event), event, source: "test" })),
    );
    await engine.affinity.train(toTrainConfig(trainSettingsSchema.parse({ factors: 16, epochs: 10 })));
    knownUser = (await engine.models.current())!.model.users[0];
  } finally {
    await engine.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("startServer", () => {
  it("listens on 127.0.0.1, announces itself in the server file, and removes it on close", async () => {
    const server = await startServer({ store, port: 0, logger: false, handleSignals: false, apiKey: "k" });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const file = serverFilePath(store)!;
      expect(server.serverFile).toBe(file);
      const announced = JSON.parse(readFileSync(file, "utf8")) as ServerFile;
      expect(announced).toMatchObject({ pid: process.pid, url: server.url, requiresKey: true });
      expect(Number.isNaN(Date.parse(announced.startedAt))).toBe(false);
      expect(readServerFile(store)).toEqual(announced);

      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(200);
      const body = (await health.json()) as { status: string; model: string; events: number };
      expect(body.status).toBe("ok");
      expect(body.model).toMatch(/^v/);
      expect(body.events).toBeGreaterThan(1000);

      const rec = await fetch(`${server.url}/v1/users/${encodeURIComponent(knownUser)}/recommendations?n=3`);
      expect(rec.status).toBe(200);
      const answer = (await rec.json()) as { items: unknown[] };
      expect(answer).toMatchObject({ user: knownUser, source: "personal", model: body.model });
      expect(answer.items).toHaveLength(3);

      const write = await fetch(`${server.url}/v1/events`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer k" },
        body: JSON.stringify({
          events: [
            { eventId: "live-1", user: "live", item: "x", endTime: "2024-05-01T00:00:00Z", playedMs: 1 },
          ],
        }),
      });
      expect(write.status).toBe(202);
      expect(await write.json()).toMatchObject({ accepted: 1 });

      const missing = await fetch(`${server.url}/nope`);
      expect(missing.status).toBe(404);
      expect(missing.headers.get("content-type")).toMatch(/application\/json/);
    } finally {
      await server.close();
    }
    await server.closed;
    expect(existsSync(serverFilePath(store)!)).toBe(false);
    expect(readServerFile(store)).toBeNull();
    // The store was closed: it opens again in this process.
    const again = await Engine.open({ store });
    expect(await again.store.countPlays()).toBeGreaterThan(1000);
    await again.close();
  });

  it("refuses a non-loopback address without a key, before opening the store", async () => {
    await expect(startServer({ store: join(dir, "never.duckdb"), host: "0.0.0.0", port: 0 })).rejects.toThrow(
      ServerConfigError,
    );
    expect(existsSync(join(dir, "never.duckdb"))).toBe(false);
  });

  it("ignores a server file left by a dead process", () => {
    const other = join(dir, "other.duckdb");
    writeFileSync(
      `${other}.server.json`,
      JSON.stringify({ pid: 2 ** 22 + 12345, url: "http://127.0.0.1:1" }),
    );
    expect(readServerFile(other)).toBeNull();
  });

  it("shuts down gracefully on SIGTERM", async () => {
    const script = join(dir, "serve-child.mts");
    writeFileSync(
      script,
      `import { startServer } from ${JSON.stringify(join(here, "serve.ts"))};
const server = await startServer({ store: ${JSON.stringify(store)}, port: 0, logger: false });
process.stdout.write(server.url + "\\n");
await server.closed;
process.stdout.write("closed\\n");
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: repo,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes("\n") && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = out.split("\n")[0];
    expect(url, err).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(readServerFile(store)).toMatchObject({ pid: child.pid, url });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toContain("closed");
    expect(existsSync(serverFilePath(store)!)).toBe(false);
  });
});
