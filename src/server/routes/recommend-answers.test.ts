import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AffinityModel,
  assembleModel,
  scoreUserItem,
  userState,
} from "../../core/affinity/affinity-model.js";
import { blendProbability, defaultBlend } from "../../core/affinity/blend.js";
import { foldPlays, playTableFromRows } from "../../core/affinity/cells.js";
import { defaultLabelRule } from "../../core/affinity/weighting.js";
import { Random } from "../../core/random.js";
import { itemScore, randomFactorModel } from "../../core/topn/index.js";
import { Engine } from "../../engine.js";
import { saveAsCurrentModel } from "../../pipeline/model-files.js";
import { buildApp } from "../app.js";

/**
 * GET /v1/users/{id}/recommendations against a slow reference written from the definition (score every
 * item, sort, describe): the hot path of this route is tuned for CPU (issue 11), and its answers must stay
 * exactly what they were. A fixed random model of 2,000 items (exact top-N), without a top-N model, so the
 * affinity model ranks, as on the serving benchmark's catalogue.
 */
const USERS = 60;
const ITEMS = 2000;
let dir: string;
let engine: Engine;
let app: FastifyInstance;
let model: AffinityModel;
let version: string;

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const itemId = (i: number) => `Artist ${i % 300}|song ${i}`;
const described = (i: number) => ({
  title: `song ${i}`,
  creators: i % 2 ? [`Artist ${i % 300}`, `Guest ${i % 7}`] : [`Artist ${i % 300}`],
  kind: "song" as const,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-rec-answers-"));
  const rng = new Random(11);
  const factors = randomFactorModel(USERS, ITEMS, 12, 4, { clusters: 5 });
  const rows: Array<[number, number, number]> = [];
  for (let u = 0; u < USERS; u++)
    for (let k = 0; k < 15; k++) rows.push([u, rng.int(ITEMS), rng.int(300_000)]);
  const cells = foldPlays(playTableFromRows(rows, USERS, ITEMS), defaultLabelRule);
  const items = Array.from({ length: ITEMS }, (_, i) => itemId(i));
  const users = Array.from({ length: USERS }, (_, u) => `user${u}`);
  model = assembleModel(users, items, factors, cells, defaultBlend(), defaultLabelRule);
  engine = await Engine.open({ store: join(dir, "answers.duckdb") });
  version = await saveAsCurrentModel(engine.store, model, rows.length);
  // Odd items with a second creator, so answers carry one and two.
  await engine.store.upsertItems(items.map((id, i) => ({ id, ...described(i), tags: [], attributes: {} })));
  app = buildApp(engine);
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The answer from the definition: every item scored, sorted by score (ties by index), the first n. */
function reference(user: string, n: number, excludePlayed: boolean) {
  const u = model.users.indexOf(user);
  const blend = model.blend;
  const candidates: Array<{ i: number; affinity: number; score: number }> = [];
  if (u < 0) {
    for (let i = 0; i < ITEMS; i++) {
      const score = Math.fround(Math.log1p(model.popularity[i]) + model.itemLongRate[i] * 1e-3);
      candidates.push({ i, affinity: model.itemLongRate[i], score });
    }
  } else {
    const state = userState(model, u);
    const played = new Set(state.items);
    for (let i = 0; i < ITEMS; i++) {
      if (played.has(i)) {
        if (excludePlayed) continue;
        const s = scoreUserItem(model, state, i);
        candidates.push({ i, affinity: s.affinity, score: s.score });
      } else {
        const score = blend.alpha + blend.beta * Math.fround(itemScore(model.factors, state.vector, i));
        candidates.push({ i, affinity: blendProbability(blend, score), score });
      }
    }
  }
  candidates.sort((a, b) => b.score - a.score || a.i - b.i);
  return {
    user,
    model: version,
    source: u < 0 ? "popularity" : "personal",
    recommender: u < 0 ? "popularity" : "affinity",
    items: candidates.slice(0, n).map(({ i, affinity, score }) => {
      const { title, creators, kind } = described(i);
      return {
        item: itemId(i),
        title,
        creators,
        kind,
        affinity: round6(affinity),
        score: round6(score),
      };
    }),
  };
}

describe("GET /v1/users/{id}/recommendations on a fixed model", () => {
  it("answers exactly as the slow reference, for known and unknown users, n and exclude", async () => {
    const cases: Array<[string, number, boolean]> = [];
    for (let u = 0; u < USERS; u += 7) cases.push([`user${u}`, 10, true]);
    cases.push(["user3", 1, true], ["user3", 37, true], ["user5", 10, false], ["user8", 25, false]);
    cases.push(["nobody", 10, true], ["nobody", 3, false]);
    for (const [user, n, excludePlayed] of cases) {
      const res = await app.inject({
        method: "GET",
        url: `/v1/users/${user}/recommendations?n=${n}${excludePlayed ? "" : "&exclude=none"}`,
      });
      expect(res.statusCode).toBe(200);
      // The bytes too: the same fields in the same order.
      expect(res.body).toBe(JSON.stringify(reference(user, n, excludePlayed)));
    }
  });
});
