import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { Engine } from "../engine.js";
import { buildApp } from "./app.js";

/**
 * A store that fails after start (issue 12, point 9): requests that need it answer 503 with a clear error,
 * not a generic 500, and /healthz asks the store rather than a cached count. The failure here is the store
 * closed under the server, which DuckDB reports as any lost connection.
 */

const KEY = "unavailable-key";
const dir = mkdtempSync(join(tmpdir(), "tastebud-unavailable-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a store that becomes unavailable", () => {
  it("answers 503 store-unavailable, and /healthz reports it", async () => {
    const engine = await Engine.open({ store: join(dir, "store.duckdb"), models: join(dir, "models") });
    // Every probe asks the store here; the shared answer of the default window is tested below.
    const app = buildApp(engine, { apiKey: KEY, healthProbeMs: 0 });
    await app.ready();
    try {
      const healthy = await app.inject({ url: "/healthz" });
      expect(healthy.statusCode).toBe(200);
      expect(healthy.json()).toMatchObject({ status: "ok", events: 0 });

      await engine.store.close();

      const health = await app.inject({ url: "/healthz" });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: "unavailable", error: "store-unavailable" });
      expect(health.json().message).toContain("unavailable");
      expect(health.json().message).not.toContain(dir);

      const read = await app.inject({ url: "/v1/users/someone/history" });
      expect(read.statusCode).toBe(503);
      expect(read.json().error).toBe("store-unavailable");

      const write = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        payload: { events: [{ user: "u", item: "i", endTime: "2024-01-01T10:00:00Z", playedMs: 1000 }] },
      });
      expect(write.statusCode).toBe(503);
      expect(write.json().error).toBe("store-unavailable");
    } finally {
      await app.close();
    }
  });

  it("shares one store question among probes within the window, the count following the server's writes", async () => {
    const engine = await Engine.open({
      store: join(dir, "shared.duckdb"),
      models: join(dir, "models-shared"),
    });
    // A window far longer than the test, so that a slow machine cannot make a probe ask again; a window of 0
    // (every probe asks, and a failed store shows at once) is the test above.
    const app = buildApp(engine, { apiKey: KEY, healthProbeMs: 600_000 });
    await app.ready();
    try {
      const asked = vi.spyOn(engine.store, "countPlays");
      const probes = await Promise.all(Array.from({ length: 50 }, () => app.inject({ url: "/healthz" })));
      expect(probes.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
      expect(asked).toHaveBeenCalledTimes(1);

      // The count follows this server's writes between questions.
      const write = await app.inject({
        method: "POST",
        url: "/v1/events",
        headers: { authorization: `Bearer ${KEY}` },
        payload: { events: [{ user: "u", item: "i", endTime: "2024-01-01T10:00:00Z", playedMs: 200_000 }] },
      });
      expect(write.statusCode).toBe(202);
      expect((await app.inject({ url: "/healthz" })).json().events).toBe(1);
      expect(asked).toHaveBeenCalledTimes(1);
    } finally {
      await app.close();
    }
  });
});
