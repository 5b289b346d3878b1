import { describe, expect, it } from "vitest";
import { BudgetLedger } from "./budget.js";

describe("BudgetLedger", () => {
  it("adds costs per user from the stored totals and refuses past the cap without charging", () => {
    const ledger = new BudgetLedger({ cap: 100, overBudget: "refuse" }, new Map([["ann", 90]]));
    expect(ledger.charge("ann", 6)).toEqual({ kind: "charge", cost: 6, spentAfter: 96 });
    expect(ledger.charge("ann", 6)).toEqual({ kind: "refuse", cost: 0, spentAfter: 96, wouldSpend: 102 });
    // A cheaper request still fits after a refused one.
    expect(ledger.charge("ann", 4)).toEqual({ kind: "charge", cost: 4, spentAfter: 100 });
    expect(ledger.charge("bob", 30)).toMatchObject({ kind: "charge", spentAfter: 30 });
    // Nothing to perturb costs nothing, even at the cap.
    expect(ledger.charge("ann", 0)).toMatchObject({ kind: "charge", spentAfter: 100 });
    expect(ledger.increments()).toEqual(
      new Map([
        ["ann", 10],
        ["bob", 30],
      ]),
    );
  });

  it("withholds instead of refusing when so configured, and takes sums of ε at the cap exactly", () => {
    const ledger = new BudgetLedger({ cap: 0.3, overBudget: "withhold" }, new Map());
    expect(ledger.charge("u", 0.1).kind).toBe("charge");
    expect(ledger.charge("u", 0.1).kind).toBe("charge");
    expect(ledger.charge("u", 0.1).kind).toBe("charge"); // 0.1 + 0.1 + 0.1 > 0.3 in floating point
    expect(ledger.charge("u", 0.1)).toMatchObject({ kind: "withhold", cost: 0 });
    expect(() => ledger.charge("u", -1)).toThrow(/≥ 0/);
  });
});
