/**
 * Privacy budget accounting per user. Every vocabulary word of a stored request is one draw of an ε-private
 * word mechanism, and under sequential composition the losses add up: a request of m perturbed words costs
 * m·ε, and a user's total is the sum over everything stored from them. Past the cap a request is either
 * refused (nothing stored) or stored with its text withheld (the turn's other signals, e.g. barge-in and
 * play duration, still count), as configured.
 */
export const overBudgetPolicies = ["refuse", "withhold"] as const;
export type OverBudgetPolicy = (typeof overBudgetPolicies)[number];
export const WITHHELD_TEXT = "<withheld>";

export interface BudgetPolicy {
  /** Largest total ε a user may spend; Infinity for no cap. */
  cap: number;
  overBudget: OverBudgetPolicy;
}

export type BudgetDecision =
  | { kind: "charge"; cost: number; spentAfter: number }
  | { kind: "refuse" | "withhold"; cost: 0; spentAfter: number; wouldSpend: number };

/**
 * A batch's view of the ledger: starts from what each user spent before, charges requests in order, and
 * hands back the increments to record. Pure; the store persists spent totals.
 */
export class BudgetLedger {
  private readonly spent: Map<string, number>;
  private readonly charged = new Map<string, number>();

  constructor(
    readonly policy: BudgetPolicy,
    spentBefore: ReadonlyMap<string, number>,
  ) {
    if (!(policy.cap >= 0)) throw new RangeError(`privacy budget cap must be ≥ 0, got ${policy.cap}`);
    this.spent = new Map(spentBefore);
  }

  spentBy(user: string): number {
    return this.spent.get(user) ?? 0;
  }

  /** Charges cost to a user when it fits under the cap (a request that costs nothing always fits). */
  charge(user: string, cost: number): BudgetDecision {
    if (!(cost >= 0)) throw new RangeError(`privacy cost must be ≥ 0, got ${cost}`);
    const before = this.spentBy(user);
    const after = before + cost;
    // A relative tolerance: costs are sums of the same ε, so exact arithmetic at the cap is not guaranteed.
    if (cost > 0 && after > this.policy.cap * (1 + 1e-12))
      return { kind: this.policy.overBudget, cost: 0, spentAfter: before, wouldSpend: after };
    this.spent.set(user, after);
    this.charged.set(user, (this.charged.get(user) ?? 0) + cost);
    return { kind: "charge", cost, spentAfter: after };
  }

  /** What this batch charged per user (to add to the stored totals). */
  increments(): Map<string, number> {
    return new Map([...this.charged].filter(([, v]) => v > 0));
  }
}
