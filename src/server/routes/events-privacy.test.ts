import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { Engine } from "../../engine.js";
import { parsePrivacyMode } from "../../services/privacy.js";
import { writeSmallEmbeddingTable } from "../../services/privacy-test-table.js";
import { buildApp } from "../app.js";

const KEY = "privacy-key";
const auth = { authorization: `Bearer ${KEY}` };
const secret = "Zanzibarquux";

/** A privacy-mode server on an in-memory store; closed, with its folder, when `body` is done. */
async function withPrivacyServer(body: (app: FastifyInstance, engine: Engine) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-privacy-http-"));
  // ε = 2 per vocabulary word, cap 25: a request of 5 vocabulary words costs 10, so two fit per user.
  const privacy = parsePrivacyMode(
    `epsilon=2,mechanism=laplace,cap=25,table=${writeSmallEmbeddingTable(dir)},seed=5`,
  );
  const engine = await Engine.open({ store: ":memory:", models: join(dir, "models"), privacy });
  const app = buildApp(engine, { apiKey: KEY, bodyLimit: 64 * 1024, maxBatch: 100 });
  try {
    await body(app, engine);
  } finally {
    await app.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const turn = (id: string, user: string) => ({
  requestId: id,
  user,
  time: "2024-02-01T08:00:00Z",
  text: `please play the song by ${secret}`,
});

const post = (app: FastifyInstance, requests: unknown[]) =>
  app.inject({ method: "POST", url: "/v1/requests", headers: auth, payload: { requests } });

describe("POST /v1/requests in privacy mode", () => {
  it("stores only perturbed text, charges each user's ledger, and refuses past the cap", () =>
    withPrivacyServer(async (app, engine) => {
      const first = await post(app, [
        turn("a1", "ann"),
        { user: "ann" },
        turn("b1", "bob"),
        turn("a2", "ann"),
      ]);
      expect(first.statusCode).toBe(202);
      // The malformed row is rejected by schema, the three others stored.
      expect(first.json()).toMatchObject({ accepted: 3, rejected: 1 });
      expect(first.json().rejects[0].path).toMatch(/^requests\[1\]/);

      const stored = await engine.store.scanRequests();
      expect(stored).toHaveLength(3);
      for (const r of stored) {
        expect(r.text).not.toContain(secret);
        // Out-of-vocabulary words become the placeholder; the five vocabulary words went through Laplace.
        expect(r.text.split(" ")).toHaveLength(6);
        expect(r.text.endsWith("<unk>")).toBe(true);
      }
      // At ε = 2 in 8 dimensions the noise (mean norm d/ε = 4) moves most words: raw text would be identical.
      expect(stored.some((r) => !r.text.startsWith("please play the song by"))).toBe(true);
      expect(await engine.store.privacySpent(["ann", "bob"])).toEqual(
        new Map([
          ["ann", 20],
          ["bob", 10],
        ]),
      );

      // ann has spent 20 of 25: a third request (10 more) is refused with its reason; bob's second fits.
      const second = await post(app, [turn("a3", "ann"), turn("b2", "bob")]);
      expect(second.statusCode).toBe(202);
      expect(second.json()).toMatchObject({ accepted: 1, rejected: 1 });
      expect(second.json().rejects[0]).toMatchObject({ index: 0, path: "requests[0].text" });
      expect(second.json().rejects[0].reason).toMatch(
        /privacy budget exhausted: user has spent ε = 20 of the cap 25/,
      );
      expect((await engine.store.scanRequests()).map((r) => r.requestId).sort()).toEqual([
        "a1",
        "a2",
        "b1",
        "b2",
      ]);
      expect(await engine.store.privacySpent(["ann", "bob"])).toEqual(
        new Map([
          ["ann", 20],
          ["bob", 20],
        ]),
      );
      // What the dashboard's privacy page reads: the mode as configured and the ledger as charged.
      const report = await app.inject({ url: "/v1/privacy" });
      expect(report.statusCode).toBe(200);
      expect(report.json()).toEqual({
        mode: {
          mechanism: "laplace",
          epsilon: 2,
          cap: 25,
          overBudget: "refuse",
          oov: "placeholder",
          table: { words: engine.privacy?.privacyTable.table.size, dimensions: 8 },
        },
        ledger: {
          users: 2,
          total: 40,
          median: 20,
          max: 20,
          top: [
            { user: "ann", spent: 20 },
            { user: "bob", spent: 20 },
          ],
        },
      });
    }));
});
