/**
 * Context-conditioned priors over what a request means: learned from logged successful turns, per user
 * where there is evidence and global otherwise. A feature is one fact about the context (device type, screen
 * or not, device state, activity, time of day, day of week); a target is an item kind ("movie") or an item.
 * The pull of context on a candidate is a naive-Bayes sum of smoothed log rate ratios, one per feature:
 *   lift(t | f) = ln( (n(t, f) + s) / (E[n(t, f)] + s) ),
 * observed over expected count of t among f's observations (a kind at its overall share, an item at its
 * share within its kind), with s = `globalStrength` pseudo-counts; a user's own ratio is shrunk toward the
 * crowd's by `userStrength`. The sum is multiplied by a scale fitted on the observations (features such as
 * "tv" and "screen" say the same thing, and a plain naive-Bayes sum would count it twice). Nothing is a
 * hand-written rule: with no evidence every lift is 0 and resolution is what it was without context.
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
  /** Pseudo-counts pulling a feature's observed count of a target toward the expected one (default 5). */
  globalStrength: number;
  /** The same for an item's ratio within its kind: items have few observations each (default 20). */
  itemStrength: number;
  /** Pseudo-counts pulling a user's own ratio toward the crowd's (default 20). */
  userStrength: number;
  /** The scaled sum of lifts is kept within ±maxLift logits, so context sways but never dictates (default 4). */
  maxLift: number;
  /** Multiplier of the summed lifts; null fits it to the observations (default null). */
  scale: number | null;
  /** Hours east of UTC of the users' clocks, for time of day and day of week (default 0). */
  utcOffsetHours: number;
}

export const defaultContextPriorOptions: ContextPriorOptions = {
  globalStrength: 5,
  itemStrength: 20,
  userStrength: 20,
  maxLift: 4,
  scale: null,
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
/** Upper end of the scale search: beyond it context would be trusted more than its evidence says. */
const MAX_SCALE = 2;

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
  /** The multiplier in use (fitted or given); absent in files from before it existed, read as 1. */
  scale?: number;
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
    /** What the summed lifts are multiplied by. */
    readonly scale: number,
  ) {}

  static learn(observations: Iterable<ContextObservation>, options: Partial<ContextPriorOptions> = {}) {
    const o = { ...defaultContextPriorOptions, ...options };
    const global = emptyTable();
    const users = new Map<string, Table>();
    // Observations per distinct context and kind: few combinations, so the scale fit is cheap at any size.
    const combos = new Map<string, Map<string, number>>();
    for (const ob of observations) {
      const features = contextFeatures(ob.context, ob.timeMs, o.utcOffsetHours);
      if (features.length === 0) continue;
      const kind = kindTarget(ob.kind);
      const targets = [kind, itemTarget(ob.item)];
      add(global, features, targets);
      const key = features.join("\u0000");
      let combo = combos.get(key);
      if (!combo) {
        combo = new Map();
        combos.set(key, combo);
      }
      bump(combo, kind);
      let table = users.get(ob.user);
      if (!table) {
        table = emptyTable();
        users.set(ob.user, table);
      }
      add(table, features, targets);
    }
    const scale = o.scale ?? new ContextPriors(o, global, users, 1).fitScale(combos);
    return new ContextPriors(o, global, users, scale);
  }

  /**
   * The scale that makes the crowd's summed kind lifts best predict the kind asked for (maximum likelihood
   * of a softmax over kinds, base rates plus scale × lifts). The log-likelihood is concave in the scale, so
   * a golden-section search finds it.
   */
  private fitScale(combos: ReadonlyMap<string, ReadonlyMap<string, number>>): number {
    const kinds = [...this.global.targetTotal.keys()].filter((t) => t.startsWith("kind:")).sort();
    if (kinds.length < 2 || combos.size < 2) return 1;
    const n = this.global.total;
    const base = kinds.map((k) => Math.log(((this.global.targetTotal.get(k) ?? 0) + 1) / (n + kinds.length)));
    const rows: Array<{ lifts: number[]; counts: number[] }> = [];
    for (const [key, counts] of [...combos].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const features = key.split("\u0000");
      rows.push({
        lifts: kinds.map((k) =>
          features.reduce(
            (sum, f) => sum + Math.log(this.ratio(this.global, f, k, "", this.options.globalStrength, 1)),
            0,
          ),
        ),
        counts: kinds.map((k) => counts.get(k) ?? 0),
      });
    }
    const logLikelihood = (a: number) => {
      let ll = 0;
      for (const { lifts, counts } of rows) {
        const z = kinds.map((_, j) => base[j] + a * lifts[j]);
        const max = Math.max(...z);
        let sum = 0;
        for (const v of z) sum += Math.exp(v - max);
        const lse = max + Math.log(sum);
        for (let j = 0; j < kinds.length; j++) if (counts[j] > 0) ll += counts[j] * (z[j] - lse);
      }
      return ll;
    };
    let lo = 0;
    let hi = MAX_SCALE;
    const g = (Math.sqrt(5) - 1) / 2;
    let x1 = hi - g * (hi - lo);
    let x2 = lo + g * (hi - lo);
    let f1 = logLikelihood(x1);
    let f2 = logLikelihood(x2);
    while (hi - lo > 1e-3) {
      if (f1 >= f2) {
        hi = x2;
        x2 = x1;
        f2 = f1;
        x1 = hi - g * (hi - lo);
        f1 = logLikelihood(x1);
      } else {
        lo = x1;
        x1 = x2;
        f1 = f2;
        x2 = lo + g * (hi - lo);
        f2 = logLikelihood(x2);
      }
    }
    return Math.round(((lo + hi) / 2) * 1000) / 1000;
  }

  /** Observations behind the priors (for reports). */
  get observations(): number {
    return this.global.total;
  }

  /**
   * ln of the rate ratio of target t with feature f: observed count over the count expected if f did not
   * matter, both with `strength` pseudo-counts at the prior ratio. A kind is expected at its overall share
   * of f's observations; an item at its share within its kind, so an item's lift is only what it adds to
   * its kind's, and an item never seen has no evidence either way (ratio = prior) instead of a penalty.
   */
  private ratio(table: Table, f: string, t: string, kind: string, strength: number, prior: number): number {
    const row = table.byFeature.get(f);
    const observed = row?.get(t) ?? 0;
    let expected: number;
    if (t.startsWith("kind:")) {
      expected = ((table.featureTotal.get(f) ?? 0) * (table.targetTotal.get(t) ?? 0)) / (table.total || 1);
    } else {
      const k = kindTarget(kind);
      const nk = table.targetTotal.get(k) ?? 0;
      expected = nk === 0 ? 0 : ((row?.get(k) ?? 0) * (table.targetTotal.get(t) ?? 0)) / nk;
    }
    return (observed + strength * prior) / (expected + strength);
  }

  /** One feature's log-lift on a target, personal when the user has evidence for f. */
  private lift(user: string | null, f: string, t: string, kind: string): ContextLift {
    const item = t.startsWith("item:");
    const global = this.ratio(
      this.global,
      f,
      t,
      kind,
      item ? this.options.itemStrength : this.options.globalStrength,
      1,
    );
    const own = user === null ? undefined : this.users.get(user);
    if (!own?.featureTotal.get(f)) return { feature: f, target: t, lift: Math.log(global), personal: false };
    // The user's ratio is shrunk toward the crowd's: with little evidence it is the crowd's.
    const personal = this.ratio(own, f, t, kind, this.options.userStrength, global);
    return { feature: f, target: t, lift: Math.log(personal), personal: true };
  }

  /**
   * The context's pull on a candidate of this kind and id: the scaled sum of per-feature lifts (kind and
   * item), clamped to ±maxLift, with the (unscaled) lifts that made it.
   */
  score(
    user: string | null,
    candidate: { kind: string; item: string },
    context: ContextFacts | undefined,
    timeMs?: number,
    options: { kindSaid?: boolean } = {},
  ): { value: number; lifts: ContextLift[] } {
    const features = contextFeatures(context, timeMs, this.options.utcOffsetHours);
    const lifts: ContextLift[] = [];
    let value = 0;
    // A request that names the kind ("the audio book dune") has answered what the kind priors guess at:
    // only the item's own lifts still apply.
    const targets = options.kindSaid
      ? [itemTarget(candidate.item)]
      : [kindTarget(candidate.kind), itemTarget(candidate.item)];
    for (const f of features) {
      if (!this.global.featureTotal.has(f)) continue;
      for (const t of targets) {
        const l = this.lift(user, f, t, candidate.kind);
        value += l.lift;
        lifts.push(l);
      }
    }
    const max = this.options.maxLift;
    return { value: Math.max(-max, Math.min(max, this.scale * value)), lifts };
  }

  toJSON(): ContextPriorsJson {
    const ser = (t: Table): SerializedTable => ({
      byFeature: Object.fromEntries([...t.byFeature].map(([f, row]) => [f, Object.fromEntries(row)])),
      targetTotal: Object.fromEntries(t.targetTotal),
      total: t.total,
    });
    return {
      options: this.options,
      scale: this.scale,
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
      json.scale ?? 1,
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
      const kind = l.target.slice(5);
      const what = l.target.startsWith("kind:")
        ? `${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind}`
        : "this item";
      const ratio = Math.exp(l.lift);
      const who = l.personal ? "you ask for" : "people ask for";
      return `${where} ${who} ${what} ${ratio.toFixed(1)}× as often`;
    })
    .join("; ");
}
