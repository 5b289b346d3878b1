/**
 * Carryover against TREC CAsT's manual rewrites (2019 and 2020, shared data; skipped when absent), and the
 * scoring on hand-made rows. The rules were written looking at 2019 only; 2020 was first run once done.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { evaluateCarryover, parseCastRows, tokenF1 } from "./carryover.js";

describe("carryover scoring", () => {
  it("token F1 is the bag-of-words overlap of normalized tokens", () => {
    expect(tokenF1("Is throat cancer treatable?", "is throat cancer treatable")).toBe(1);
    // 3 of 3 candidate tokens, 3 of 5 reference tokens: 2 * 1 * 0.6 / 1.6.
    expect(tokenF1("is it treatable", "is throat cancer it treatable")).toBeCloseTo(0.75, 10);
    expect(tokenF1("", "x")).toBe(0);
  });

  it("scores the raw turn, the baseline and carryover on a hand-made dialogue", () => {
    const rows = [
      { dialogue: "d", turn: 1, raw: "What is throat cancer?", manual: "What is throat cancer?" },
      { dialogue: "d", turn: 2, raw: "Is it treatable?", manual: "Is throat cancer treatable?" },
      {
        dialogue: "d",
        turn: 3,
        raw: "What are the symptoms?",
        manual: "What are the symptoms of throat cancer?",
      },
    ];
    const r = evaluateCarryover(rows);
    expect(r.dependentTurns).toBe(2);
    expect(r.raw.entityRecovered).toBe(0);
    expect(r.lastEntity.entityRecovered).toBe(0.5); // the pronoun turn only
    expect(r.carryover).toEqual({ tokenF1: 1, exactMatch: 1, entityRecovered: 1 });
  });

  it("names the line of a malformed row", () => {
    expect(() => parseCastRows("year\ttopic\tturn\traw\tmanual\n2019\t31\tx\ta\tb\n")).toThrow(/line 2/);
  });
});

const data = new URL("../../../../shared/data/trec-cast-query-rewrites/rewrites.tsv", import.meta.url)
  .pathname;

describe.skipIf(!existsSync(data))("TREC CAsT 2019 and 2020: carryover against the manual rewrites", () => {
  const rows = existsSync(data) ? parseCastRows(readFileSync(data, "utf8")) : [];
  for (const year of ["2019", "2020"]) {
    it(`${year}: token F1 above the raw turn and above last-entity substitution`, () => {
      const r = evaluateCarryover(rows.filter((row) => row.year === year));
      expect(r.turns).toBe(year === "2019" ? 479 : 216);
      expect(r.carryover.tokenF1).toBeGreaterThan(r.lastEntity.tokenF1);
      expect(r.lastEntity.tokenF1).toBeGreaterThanOrEqual(r.raw.tokenF1);
      expect(r.carryover.entityRecovered).toBeGreaterThan(r.lastEntity.entityRecovered);
    });
  }
});
