import { Random } from "../random.js";
import { sigmoid } from "./logistic.js";
import { randomSlate, type Slate, topIndices, topSlots } from "./slate.js";

/** Who the surface is for: a segment (a cluster of users) and, for the linear policies, a feature vector. */
export interface BanditContext {
  segment: number;
  features?: Float64Array;
}

/** Serializable policy state, so a live policy survives a restart and can be frozen as a version. */
export interface PolicyState {
  kind: PolicyKind;
  name: string;
  nArms: number;
  [key: string]: unknown;
}

export type PolicyKind = "uniform" | "epsilon-greedy" | "explore-then-commit" | "ts-segment" | "linear";

export interface BanditPolicy {
  readonly name: string;
  readonly kind: PolicyKind;
  readonly nArms: number;
  /** Fills `slots` slots for this context. Thompson policies estimate propensities from `propensitySamples` draws (0: skip). */
  choose(context: BanditContext, slots: number, rng: Random, propensitySamples?: number): Slate;
  /** Learns from the observed slots only (the caller applies the cascade rule: see seenSlots). */
  update(context: BanditContext, arms: ArrayLike<number>, rewards: ArrayLike<number>): void;
  state(): PolicyState;
}

/** Uniformly random slates: the baseline every policy must beat, and the cleanest logging policy for OPE. */
export class UniformPolicy implements BanditPolicy {
  readonly kind = "uniform";
  constructor(
    readonly nArms: number,
    readonly name = "uniform",
  ) {}
  choose(_context: BanditContext, slots: number, rng: Random): Slate {
    return randomSlate(this.nArms, slots, rng);
  }
  update(): void {}
  state(): PolicyState {
    return { kind: this.kind, name: this.name, nArms: this.nArms };
  }
}

/** Displays and streams per (segment, arm): the statistics of the segment-level policies. */
class SegmentCounts {
  readonly displays: Float64Array;
  readonly successes: Float64Array;
  constructor(
    readonly nSegments: number,
    readonly nArms: number,
    displays?: number[],
    successes?: number[],
  ) {
    this.displays = displays ? Float64Array.from(displays) : new Float64Array(nSegments * nArms);
    this.successes = successes ? Float64Array.from(successes) : new Float64Array(nSegments * nArms);
  }
  add(segment: number, arms: ArrayLike<number>, rewards: ArrayLike<number>): void {
    const base = this.segmentBase(segment);
    for (let k = 0; k < arms.length; k++) {
      this.displays[base + arms[k]] += 1;
      this.successes[base + arms[k]] += rewards[k] > 0 ? 1 : 0;
    }
  }
  segmentBase(segment: number): number {
    if (!(segment >= 0 && segment < this.nSegments && Number.isInteger(segment)))
      throw new RangeError(`segment ${segment} is outside 0..${this.nSegments - 1}`);
    return segment * this.nArms;
  }
  meanRates(segment: number): Float64Array {
    const base = this.segmentBase(segment);
    const out = new Float64Array(this.nArms);
    for (let a = 0; a < this.nArms; a++) {
      const d = this.displays[base + a];
      out[a] = d > 0 ? this.successes[base + a] / d : 0;
    }
    return out;
  }
  toJSON() {
    return {
      nSegments: this.nSegments,
      displays: Array.from(this.displays),
      successes: Array.from(this.successes),
    };
  }
}

/** What the segment-level policies share: per-(segment, arm) counts, learned the same way, stored the same way. */
abstract class SegmentPolicy implements BanditPolicy {
  abstract readonly kind: PolicyKind;
  abstract readonly name: string;
  readonly counts: SegmentCounts;
  constructor(
    readonly nArms: number,
    nSegments: number,
    counts?: SegmentCounts,
  ) {
    this.counts = counts ?? new SegmentCounts(nSegments, nArms);
  }
  abstract choose(context: BanditContext, slots: number, rng: Random, propensitySamples?: number): Slate;
  /** The policy's own settings, stored beside the counts. */
  protected abstract settings(): Record<string, unknown>;
  update(context: BanditContext, arms: ArrayLike<number>, rewards: ArrayLike<number>): void {
    this.counts.add(context.segment, arms, rewards);
  }
  state(): PolicyState {
    return {
      kind: this.kind,
      name: this.name,
      nArms: this.nArms,
      ...this.settings(),
      ...this.counts.toJSON(),
    };
  }
}

/**
 * Segment epsilon-greedy (BaRT's policy, per segment as in Bendada et al.): with probability 1 - epsilon the
 * arms with the best observed stream rate in the user's segment, otherwise a uniformly random slate.
 * Propensity of arm a at slot k: (1 - epsilon) * P(greedy puts a at k) + epsilon / nArms.
 */
export class EpsilonGreedyPolicy extends SegmentPolicy {
  readonly kind = "epsilon-greedy";
  constructor(
    nArms: number,
    nSegments: number,
    readonly epsilon: number,
    readonly name = `epsilon-greedy-${epsilon}`,
    counts?: SegmentCounts,
  ) {
    super(nArms, nSegments, counts);
  }
  protected settings() {
    return { epsilon: this.epsilon };
  }
  choose(context: BanditContext, slots: number, rng: Random): Slate {
    const rates = this.counts.meanRates(context.segment);
    const greedy = topSlots(rates, slots, rng);
    const explore = rng.next() < this.epsilon;
    const slate = explore ? randomSlate(this.nArms, slots, rng) : greedy;
    // The greedy ranking's chance of the shown arm at its slot (ties give 1/g), mixed with the uniform part.
    const propensities = new Float64Array(slate.arms.length);
    for (let k = 0; k < slate.arms.length; k++) {
      const a = slate.arms[k];
      let pGreedy = 0;
      // a reaches slot k in the greedy ranking only if it ties with the arm the greedy draw put there.
      if (k < greedy.arms.length && rates[a] === rates[greedy.arms[k]]) pGreedy = greedy.propensities[k];
      propensities[k] = (1 - this.epsilon) * pGreedy + this.epsilon / this.nArms;
    }
    return { arms: slate.arms, propensities, explored: new Array(slate.arms.length).fill(explore) };
  }
}

/**
 * Segment explore-then-commit: arms shown fewer than `minDisplays` times in the segment come first (in random
 * order); once every arm has its displays, the best observed rates, for good.
 */
export class ExploreThenCommitPolicy extends SegmentPolicy {
  readonly kind = "explore-then-commit";
  constructor(
    nArms: number,
    nSegments: number,
    readonly minDisplays: number,
    readonly name = `explore-then-commit-${minDisplays}`,
    counts?: SegmentCounts,
  ) {
    super(nArms, nSegments, counts);
  }
  protected settings() {
    return { minDisplays: this.minDisplays };
  }
  choose(context: BanditContext, slots: number, rng: Random): Slate {
    const base = this.counts.segmentBase(context.segment);
    const rates = this.counts.meanRates(context.segment);
    // Deficit first, then rate: one score whose integer part is the deficit (rates are in [0, 1]).
    const scores = new Float64Array(this.nArms);
    let exploring = false;
    for (let a = 0; a < this.nArms; a++) {
      const deficit = Math.max(0, this.minDisplays - this.counts.displays[base + a]);
      if (deficit > 0) exploring = true;
      scores[a] = 2 * deficit + rates[a];
    }
    const slate = topSlots(scores, slots, rng);
    return { ...slate, explored: new Array(slate.arms.length).fill(exploring) };
  }
}

/** Beta(alpha, beta) draw from two gamma draws. */
export function betaDraw(rng: Random, alpha: number, beta: number): number {
  const x = rng.gamma(alpha);
  const y = rng.gamma(beta);
  return x / (x + y);
}

/**
 * Per-slot propensities of a randomized ranking by Monte Carlo: how often each shown arm lands on its slot
 * over `samples` fresh draws. Thompson sampling has no closed form for the marginal of a slot.
 */
function monteCarloPropensities(
  arms: Int32Array,
  samples: number,
  drawScores: (rng: Random) => Float64Array,
  seed: number,
): Float64Array {
  const rng = new Random(seed);
  const hits = new Float64Array(arms.length);
  for (let s = 0; s < samples; s++) {
    const order = topIndices(drawScores(rng), arms.length, null);
    for (let k = 0; k < arms.length; k++) if (order[k] === arms[k]) hits[k] += 1;
  }
  // A slot never reproduced in the draws still happened: floor at half a sample rather than 0.
  return hits.map((h) => Math.max(h, 0.5) / samples);
}

/**
 * Segment Thompson sampling with Beta(alpha0, beta0) priors per (segment, arm). Bendada et al.'s
 * "pessimistic" prior Beta(1, 99) expects a low stream rate until shown otherwise, which stops every arm
 * from being tried in every slot early on.
 */
export class ThompsonSegmentPolicy extends SegmentPolicy {
  readonly kind = "ts-segment";
  constructor(
    nArms: number,
    nSegments: number,
    readonly alpha0 = 1,
    readonly beta0 = 99,
    readonly name = `ts-segment-beta(${alpha0},${beta0})`,
    counts?: SegmentCounts,
  ) {
    super(nArms, nSegments, counts);
  }
  protected settings() {
    return { alpha0: this.alpha0, beta0: this.beta0 };
  }
  private draw(segment: number, rng: Random): Float64Array {
    const base = this.counts.segmentBase(segment);
    const scores = new Float64Array(this.nArms);
    for (let a = 0; a < this.nArms; a++) {
      const s = this.counts.successes[base + a];
      scores[a] = betaDraw(rng, this.alpha0 + s, this.beta0 + this.counts.displays[base + a] - s);
    }
    return scores;
  }
  choose(context: BanditContext, slots: number, rng: Random, propensitySamples = 0): Slate {
    const { arms } = topSlots(this.draw(context.segment, rng), slots, null);
    const propensities =
      propensitySamples > 0
        ? monteCarloPropensities(
            arms,
            propensitySamples,
            (r) => this.draw(context.segment, r),
            rng.nextUint32(),
          )
        : new Float64Array(arms.length).fill(Number.NaN);
    return {
      arms,
      propensities,
      explored: new Array(arms.length).fill(false),
      ...(propensitySamples > 0 ? { propensitySamples } : {}),
    };
  }
}

/**
 * One online Bayesian logistic regression per arm over the user's features, with a diagonal Gaussian
 * (Laplace) posterior N(m, diag(1/q)) as in Chapelle and Li (2011). Selection is either Thompson sampling
 * (a draw of each arm's score) or UCB (mean plus `alpha` standard deviations of the score: logistic LinUCB).
 * The score x.w under the posterior is Gaussian with mean x.m and variance sum_j x_j^2 / q_j, so a draw costs
 * one normal per arm instead of one per weight. Diagonal because a full d x d posterior per arm (862 arms,
 * d = 97 in the carousel) would cost d^2 per arm per user.
 */
export class LinearPolicy implements BanditPolicy {
  readonly kind = "linear";
  readonly means: Float64Array;
  readonly precisions: Float64Array;
  constructor(
    readonly nArms: number,
    readonly dim: number,
    readonly rule: "thompson" | "ucb",
    readonly options: {
      priorPrecision?: number;
      biasPrior?: number;
      biasPrecision?: number;
      alpha?: number;
    } = {},
    readonly name = `linear-${rule}`,
    state?: { means: number[]; precisions: number[] },
  ) {
    this.means = state ? Float64Array.from(state.means) : new Float64Array(nArms * dim);
    this.precisions = state
      ? Float64Array.from(state.precisions)
      : new Float64Array(nArms * dim).fill(options.priorPrecision ?? 1);
    // The last feature is the constant 1: its prior mean sets the expected stream rate of an unseen arm.
    if (!state && options.biasPrior !== undefined)
      for (let a = 0; a < nArms; a++) this.means[a * dim + dim - 1] = options.biasPrior;
  }
  private features(context: BanditContext): Float64Array {
    const x = context.features;
    if (!x || x.length !== this.dim)
      throw new RangeError(`the linear policy needs ${this.dim} features, got ${x ? x.length : "none"}`);
    return x;
  }
  /** Posterior mean and standard deviation of each arm's score for x. */
  scoreMoments(x: Float64Array): { mean: Float64Array; sd: Float64Array } {
    const mean = new Float64Array(this.nArms);
    const sd = new Float64Array(this.nArms);
    const d = this.dim;
    const x2 = x.map((v) => v * v);
    for (let a = 0; a < this.nArms; a++) {
      let m = 0;
      let v = 0;
      const base = a * d;
      for (let j = 0; j < d; j++) {
        m += this.means[base + j] * x[j];
        v += x2[j] / this.precisions[base + j];
      }
      mean[a] = m;
      sd[a] = Math.sqrt(v);
    }
    return { mean, sd };
  }
  choose(context: BanditContext, slots: number, rng: Random, propensitySamples = 0): Slate {
    const { mean, sd } = this.scoreMoments(this.features(context));
    if (this.rule === "ucb") {
      const alpha = this.options.alpha ?? 1;
      return topSlots(
        mean.map((m, a) => m + alpha * sd[a]),
        slots,
        rng,
      );
    }
    const draw = (r: Random) => mean.map((m, a) => m + sd[a] * r.normal());
    const { arms } = topSlots(draw(rng), slots, null);
    return {
      arms,
      propensities:
        propensitySamples > 0
          ? monteCarloPropensities(arms, propensitySamples, draw, rng.nextUint32())
          : new Float64Array(arms.length).fill(Number.NaN),
      explored: new Array(arms.length).fill(false),
      ...(propensitySamples > 0 ? { propensitySamples } : {}),
    };
  }
  /**
   * The Laplace update for one arm's batch: the new mean minimises
   * sum_j q_j (w_j - m_j)^2 / 2 + sum_i log(1 + exp(-y_i x_i.w)) (diagonal Newton steps), and each precision
   * grows by sum_i x_ij^2 p_i (1 - p_i).
   */
  updateArm(arm: number, xs: Float64Array[], ys: ArrayLike<number>): void {
    const d = this.dim;
    const base = arm * d;
    const m = this.means.subarray(base, base + d);
    const q = this.precisions.subarray(base, base + d);
    const w = Float64Array.from(m);
    const grad = new Float64Array(d);
    const curv = new Float64Array(d);
    for (let it = 0; it < 8; it++) {
      for (let j = 0; j < d; j++) {
        grad[j] = q[j] * (w[j] - m[j]);
        curv[j] = q[j];
      }
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i];
        let z = 0;
        for (let j = 0; j < d; j++) z += w[j] * x[j];
        const p = sigmoid(z);
        const g = p - ys[i];
        const h = p * (1 - p);
        for (let j = 0; j < d; j++) {
          grad[j] += g * x[j];
          curv[j] += h * x[j] * x[j];
        }
      }
      for (let j = 0; j < d; j++) w[j] -= grad[j] / curv[j];
    }
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i];
      let z = 0;
      for (let j = 0; j < d; j++) z += w[j] * x[j];
      const p = sigmoid(z);
      for (let j = 0; j < d; j++) q[j] += p * (1 - p) * x[j] * x[j];
    }
    m.set(w);
  }
  update(context: BanditContext, arms: ArrayLike<number>, rewards: ArrayLike<number>): void {
    const x = this.features(context);
    for (let k = 0; k < arms.length; k++) this.updateArm(arms[k], [x], [rewards[k] > 0 ? 1 : 0]);
  }
  /** A round's observations, grouped per arm (one Laplace step per arm, as batch feedback arrives). */
  updateBatch(
    batch: Array<{ context: BanditContext; arms: ArrayLike<number>; rewards: ArrayLike<number> }>,
  ): void {
    const perArm = new Map<number, { xs: Float64Array[]; ys: number[] }>();
    for (const { context, arms, rewards } of batch) {
      const x = this.features(context);
      for (let k = 0; k < arms.length; k++) {
        let entry = perArm.get(arms[k]);
        if (!entry) {
          entry = { xs: [], ys: [] };
          perArm.set(arms[k], entry);
        }
        entry.xs.push(x);
        entry.ys.push(rewards[k] > 0 ? 1 : 0);
      }
    }
    for (const [arm, { xs, ys }] of perArm) this.updateArm(arm, xs, ys);
  }
  state(): PolicyState {
    return {
      kind: this.kind,
      name: this.name,
      nArms: this.nArms,
      dim: this.dim,
      rule: this.rule,
      options: this.options,
      means: Array.from(this.means),
      precisions: Array.from(this.precisions),
    };
  }
}

/** Rebuilds a policy from its stored state (the inverse of state()). */
export function policyFromState(s: PolicyState): BanditPolicy {
  const counts = () =>
    new SegmentCounts(s.nSegments as number, s.nArms, s.displays as number[], s.successes as number[]);
  switch (s.kind) {
    case "uniform":
      return new UniformPolicy(s.nArms, s.name);
    case "epsilon-greedy":
      return new EpsilonGreedyPolicy(s.nArms, s.nSegments as number, s.epsilon as number, s.name, counts());
    case "explore-then-commit":
      return new ExploreThenCommitPolicy(
        s.nArms,
        s.nSegments as number,
        s.minDisplays as number,
        s.name,
        counts(),
      );
    case "ts-segment":
      return new ThompsonSegmentPolicy(
        s.nArms,
        s.nSegments as number,
        s.alpha0 as number,
        s.beta0 as number,
        s.name,
        counts(),
      );
    case "linear":
      return new LinearPolicy(
        s.nArms,
        s.dim as number,
        s.rule as "thompson" | "ucb",
        s.options as LinearPolicy["options"],
        s.name,
        { means: s.means as number[], precisions: s.precisions as number[] },
      );
  }
}
