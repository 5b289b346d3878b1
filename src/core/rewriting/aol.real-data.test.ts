/**
 * Rewrite mining on real people's reformulations: the shared AOL query log sample (700 heavy users,
 * 226,095 rows, March-May 2006). Every row had a click, so a query counts as defective when the same
 * user searched again within 5 minutes, and the last query of such a run as success. Skipped when the
 * shared data is not beside the repository. bench/aol-rewrites.ts prints the full result.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { buildRewriteTable } from "./markov.js";
import { sameMeaning } from "./meaning.js";
import type { RewriteTable } from "./rewrite-table.js";
import {
  labelByQuickFollowUp,
  reformulationChains,
  turnFromAolLine,
  type UnlabelledTurn,
} from "./sessions.js";

const data = new URL("../../../../shared/data/aol-query-log-top-users/queries.tsv.gz", import.meta.url)
  .pathname;
const gapMs = 5 * 60_000;

const title = existsSync(data)
  ? "AOL query log, 700 users: rewrites from reformulations"
  : `AOL query log: skipped, ${data} not found`;

describe.skipIf(!existsSync(data))(title, () => {
  let turns: UnlabelledTurn[];
  let table: RewriteTable;
  let checked: RewriteTable;

  beforeAll(async () => {
    turns = [];
    const lines = createInterface({
      input: createReadStream(data).pipe(createGunzip()),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      const t = turnFromAolLine(line);
      if (t) turns.push(t);
    }
    const chains = reformulationChains(labelByQuickFollowUp(turns, gapMs), { gapMs });
    // The guardrails of bench/aol-rewrites.ts, scaled to 700 users.
    const guardrails = {
      minSupportUsers: 3,
      minPathUsers: 2,
      minDefectRate: 0.3,
      minRewriteSuccess: 0.5,
      minGain: 0.2,
    };
    table = buildRewriteTable(chains, guardrails);
    checked = buildRewriteTable(chains, guardrails, sameMeaning);
  });

  it("reads every row and cuts reformulation chains", () => {
    expect(turns.length).toBe(226_095);
    expect(table.stats.users).toBe(700);
    expect(table.stats.chains).toBeGreaterThan(150_000);
    expect(table.stats.maxResidual).toBeLessThan(1e-3);
  });

  it("finds rewrites that pass every guardrail", () => {
    expect(table.size).toBeGreaterThanOrEqual(5);
    for (const r of table.rules) {
      expect(r.rewrite).not.toBe(r.source);
      expect(r.support).toBeGreaterThanOrEqual(3);
      expect(r.pathUsers).toBeGreaterThanOrEqual(2);
      expect(r.rewriteSuccess).toBeGreaterThanOrEqual(0.5);
      expect(r.gain).toBeGreaterThanOrEqual(0.2);
      expect(1 - r.sourceDirectSuccess).toBeGreaterThanOrEqual(0.3);
    }
  });

  it("learns what people actually did: a typo fixed, shops and sites swapped for a rival", () => {
    // 17 users typed "goggle"; 5 of them went on to "google".
    expect(table.lookup("goggle")).toMatchObject({ rewrite: "google", support: 17, pathUsers: 5 });
    expect(table.lookup("office max")?.rewrite).toBe("staples");
    expect(table.lookup("linen n things")?.rewrite).toBe("bed bath and beyond");
    expect(table.lookup("priceline")?.rewrite).toBe("travelocity");
  });

  it("with the meaning check keeps the typo fix and refuses every rival shop or site", () => {
    expect(checked.rules.map((r) => [r.source, r.rewrite, r.meaning])).toEqual([
      ["goggle", "google", "spelling"],
    ]);
    const refused = new Map((checked.stats.changedMeaning ?? []).map((c) => [c.source, c]));
    for (const [source, rival] of [
      ["office max", "staples"],
      ["linen n things", "bed bath and beyond"],
      ["priceline", "travelocity"],
      ["area codes", "yahoo"],
      ["rite aid", "duane reade"],
    ]) {
      expect(refused.get(source)).toMatchObject({ rewrite: rival, reason: "other-words" });
    }
    expect(checked.stats.rejected.meaning).toBe(refused.size);
  });

  it("leaves alone the queries that usually end the search", () => {
    for (const q of ["google", "yahoo", "ebay", "myspace", "walmart", "target", "weather"]) {
      expect(table.lookup(q)).toBeUndefined();
    }
  });
});
