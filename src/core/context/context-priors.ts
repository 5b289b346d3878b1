/**
 * Context-conditioned priors over what a request means: learned from logged successful turns, per user
 * where there is evidence and global otherwise. A feature is one fact about the context (device type, screen
 * or not, device state, activity, time of day, day of week); a target is an item kind ("movie") or an item.
 * The prior of a target in a context is a naive-Bayes sum of smoothed log-lifts, one per feature:
 *   lift(t | f) = ln( P(t | f) / P(t) ),
 * with P(t | f) shrunk toward P(t) by `globalStrength` pseudo-counts, and a user's own P_u(t | f) shrunk
 * toward the global P(t | f) by `userStrength`. Nothing is a hand-written rule: with no evidence every
 * lift is 0 and resolution is what it was without context.
 */

export interface ContextFacts {
  deviceType?: string;
  hasScreen?: boolean;
  deviceState?: string;
  activity?: string;
}

/** One logged turn that went well: who, in which context, what kind of thing and which item they meant. */
export interface ContextObservation {
  user: string;
  timeMs: number;
  context?: ContextFacts;
  kind: string;
  item: string;
}

export interface ContextPriorOptions {
  /** Pseudo-counts pulling P(t | f) toward P(t) (default 5). */
  globalStrength: number;
  /** Pseudo-counts pulling a user's P_u(t | f) toward the global P(t | f) (default 5). */
  userStrength: number;
  /** The sum of lifts is kept within ±maxLift logits, so context sways but never dictates (default 4). */
  maxLift: number;
  /** Hours east of UTC of the users' clocks, for time of day and day of week (default 0). */
  utcOffsetHours: number;
}

export const defaultContextPriorOptions: ContextPriorOptions = {
  globalStrength: 5,
  userStrength: 5,
  maxLift: 4,
  utcOffsetHours: 0,
};

/** One feature's pull on a target, for the reasons shown to people. */
export interface ContextLift {
  feature: string;
  target: string;
  lift: number;
  /** Whether the user's own evidence shaped it (else the global prior). */
  personal: boolean;
}

type Counts = Map<string, Map<string, number>>;

interface Table {
  byFeature: Counts;
  featureTotal: Map<string, number>;
  targetTotal: Map<string, number>;
  total: number;
}

function emptyTable(): Table {
  return { byFeature: new Map(), featureTotal: new Map(), targetTotal: new Map(), total: 0 };
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function add(table: Table, features: readonly string[], targets: readonly string[]): void {
  table.total++;
  for (const t of targets) bump(table.targetTotal, t);
  for (const f of features) {
    bump(table.featureTotal, f);
    let row = table.byFeature.get(f);
    if (!row) {
      row = new Map();
      table.byFeature.set(f, row);
    }
    for (const t of targets) bump(row, t);
  }
}

const HOUR_MS = 3_600_000;

/** Time of day in four parts and weekday/weekend, on the users' clock. */
export function timeFeatures(timeMs: number, utcOffsetHours = 0): string[] {
  const local = new Date(timeMs + utcOffsetHours * HOUR_MS);
  const h = local.getUTCHours();
  const part = h < 6 ? "night" : h < 12 ? "morning" : h < 18 ? "afternoon" : "evening";
  const day = local.getUTCDay();
  return [`time:${part}`, `day:${day === 0 || day === 6 ? "weekend" : "weekday"}`];
}

/** The features of a context; absent facts give no feature (and so no pull). */
export function contextFeatures(
  context: ContextFacts | undefined,
  timeMs: number | undefined,
  utcOffsetHours = 0,
) {
  const out: string[] = [];
  if (context?.deviceType) out.push(`device:${context.deviceType.toLowerCase()}`);
  if (context?.hasScreen !== undefined) out.push(`screen:${context.hasScreen ? "yes" : "no"}`);
  if (context?.deviceState) out.push(`state:${context.deviceState.toLowerCase()}`);
  if (context?.activity) out.push(`activity:${context.activity.toLowerCase()}`);
  if (timeMs !== undefined && Number.isFinite(timeMs)) out.push(...timeFeatures(timeMs, utcOffsetHours));
  return out;
}

const kindTarget = (kind: string) => `kind:${kind}`;
const itemTarget = (item: string) => `item:${item}`;

export interface ContextPriorsJson {
  options: ContextPriorOptions;
  global: SerializedTable;
  users: Record<string, SerializedTable>;
}

interface SerializedTable {
  byFeature: Record<string, Record<string, number>>;
  targetTotal: Record<string, number>;
  total: number;
}

export class ContextPriors {
  private constructor(
    readonly options: ContextPriorOptions,
    private readonly global: Table,
    private readonly users: Map<string, Table>,
  ) {}

  static learn(observations: Iterable<ContextObservation>, options: Partial<ContextPriorOptions> = {}) {
    const o = { ...defaultContextPriorOptions, ...options };
    const global = emptyTable();
    const users = new Map<string, Table>();
    for (const ob of observations) {
      const features = contextFeatures(ob.context, ob.timeMs, o.utcOffsetHours);
      if (features.length === 0) continue;
      const targets = [kindTarget(ob.kind), itemTarget(ob.item)];
      add(global, features, targets);
      let table = users.get(ob.user);
      if (!table) {
        table = emptyTable();
        users.set(ob.user, table);
      }
      add(table, features, targets);
    }
    return new ContextPriors(o, global, users);
  }

  /** Observations behind the priors (for reports). */
  get observations(): number {
    return this.global.total;
  }

  private globalShare(t: string): number {
    // Add-one over targets seen, so an unseen target has a small but non-zero share.
    return (
      ((this.global.targetTotal.get(t) ?? 0) + 1) / (this.global.total + this.global.targetTotal.size + 1)
    );
  }

  private globalGiven(f: string, t: string): number {
    const p = this.globalShare(t);
    const n = this.global.featureTotal.get(f) ?? 0;
    const nt = this.global.byFeature.get(f)?.get(t) ?? 0;
    return (nt + this.options.globalStrength * p) / (n + this.options.globalStrength);
  }

  /** ln P(t | f) − ln P(t) for one feature, personal when the user has evidence for f. */
  private lift(user: string | null, f: string, t: string): ContextLift {
    const pGiven = this.globalGiven(f, t);
    const p = this.globalShare(t);
    const own = user === null ? undefined : this.users.get(user);
    const nf = own?.featureTotal.get(f) ?? 0;
    if (!own || nf === 0) return { feature: f, target: t, lift: Math.log(pGiven / p), personal: false };
    const s = this.options.userStrength;
    const pu = ((own.byFeature.get(f)?.get(t) ?? 0) + s * pGiven) / (nf + s);
    const puBase = ((own.targetTotal.get(t) ?? 0) + s * p) / (own.total + s);
    return { feature: f, target: t, lift: Math.log(pu / puBase), personal: true };
  }

  /**
   * The context's pull on a candidate of this kind and id: a sum of per-feature lifts (kind and item),
   * clamped to ±maxLift, with the lifts that made it.
   */
  score(
    user: string | null,
    candidate: { kind: string; item: string },
    context: ContextFacts | undefined,
    timeMs?: number,
  ): { value: number; lifts: ContextLift[] } {
    const features = contextFeatures(context, timeMs, this.options.utcOffsetHours);
    const lifts: ContextLift[] = [];
    let value = 0;
    for (const f of features) {
      if (!this.global.featureTotal.has(f)) continue;
      for (const t of [kindTarget(candidate.kind), itemTarget(candidate.item)]) {
        const l = this.lift(user, f, t);
        value += l.lift;
        lifts.push(l);
      }
    }
    const max = this.options.maxLift;
    return { value: Math.max(-max, Math.min(max, value)), lifts };
  }

  toJSON(): ContextPriorsJson {
    const ser = (t: Table): SerializedTable => ({
      byFeature: Object.fromEntries([...t.byFeature].map(([f, row]) => [f, Object.fromEntries(row)])),
      targetTotal: Object.fromEntries(t.targetTotal),
      total: t.total,
    });
    return {
      options: this.options,
      global: ser(this.global),
      users: Object.fromEntries([...this.users].map(([u, t]) => [u, ser(t)])),
    };
  }

  static fromJSON(json: ContextPriorsJson): ContextPriors {
    const de = (s: SerializedTable): Table => {
      const byFeature: Counts = new Map(
        Object.entries(s.byFeature).map(([f, row]) => [f, new Map(Object.entries(row))]),
      );
      const featureTotal = new Map<string, number>();
      // A feature's total is the number of observations with it: each carries exactly one kind target.
      for (const [f, row] of byFeature) {
        let n = 0;
        for (const [t, c] of row) if (t.startsWith("kind:")) n += c;
        featureTotal.set(f, n);
      }
      return { byFeature, featureTotal, targetTotal: new Map(Object.entries(s.targetTotal)), total: s.total };
    };
    return new ContextPriors(
      { ...defaultContextPriorOptions, ...json.options },
      de(json.global),
      new Map(Object.entries(json.users).map(([u, t]) => [u, de(t)])),
    );
  }
}

/** A short sentence for the strongest lifts, e.g. `on a tv, movie is 3.2× as likely`. */
export function describeLifts(lifts: readonly ContextLift[], limit = 2): string {
  const strongest = [...lifts]
    .filter((l) => Math.abs(l.lift) >= 0.1)
    .sort((a, b) => Math.abs(b.lift) - Math.abs(a.lift))
    .slice(0, limit);
  if (strongest.length === 0) return "context gives no evidence either way";
  return strongest
    .map((l) => {
      const [, value] = l.feature.split(":");
      const where = l.feature.startsWith("screen:")
        ? value === "yes"
          ? "on a screen device"
          : "without a screen"
        : l.feature.startsWith("device:")
          ? `on a ${value}`
          : l.feature.startsWith("time:")
            ? `in the ${value}`
            : l.feature.startsWith("day:")
              ? `on a ${value}`
              : l.feature.startsWith("state:")
                ? `while the device is ${value}`
                : `while ${value}`;
      const what = l.target.startsWith("kind:") ? `a ${l.target.slice(5)}` : "this item";
      const ratio = Math.exp(l.lift);
      const who = l.personal ? "you ask for" : "people ask for";
      return `${where} ${who} ${what} ${ratio.toFixed(1)}× as often`;
    })
    .join("; ");
}
