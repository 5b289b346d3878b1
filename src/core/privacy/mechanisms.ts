import type { Random } from "../random.js";
import type { EmbeddingTable } from "./embeddings.js";
import { squaredDistanceTo } from "./embeddings.js";
import { lambertW0 } from "./lambert-w.js";
import type { Neighbourhoods } from "./neighbours.js";
import { exactNearest, nearestIndex } from "./neighbours.js";

/** A word-level privacy mechanism: one seeded draw of the word that replaces a vocabulary word. */
export interface WordMechanism {
  readonly name: MechanismName;
  readonly epsilon: number;
  perturb(word: number, rng: Random): number;
  /**
   * Perturbs several words at once, drawing exactly as perturb would word by word (same rng sequence, same
   * outputs); mechanisms that can share work across a request's words (one native index search) offer it.
   */
  perturbMany?(words: ArrayLike<number>, rng: Random): Int32Array;
}

export const mechanismNames = ["laplace", "gumbel"] as const;
export type MechanismName = (typeof mechanismNames)[number];

/** Gamma(shape, scale) (Random.gamma is Marsaglia–Tsang for unit scale). */
export function sampleGamma(rng: Random, shape: number, scale: number): number {
  return rng.gamma(shape) * scale;
}

/** Poisson(λ) conditioned on ≤ max, by Knuth's product of uniforms and rejection (λ ≈ ln n is small). */
export function sampleTruncatedPoisson(rng: Random, lambda: number, max: number): number {
  const limit = Math.exp(-lambda);
  for (;;) {
    let k = 0;
    let p = rng.next();
    while (p > limit) {
      k++;
      p *= rng.next();
    }
    if (k <= max) return k;
  }
}

/**
 * Gumbel(0, b) conditioned on |g| ≤ bound, by inverting the CDF F(g) = exp(−exp(−g/b)) on a uniform draw
 * restricted to [F(−bound), F(bound)]: exact, and never loops however little mass the interval holds.
 */
export function sampleTruncatedGumbel(rng: Random, scale: number, bound: number): number {
  const lo = Math.exp(-Math.exp(bound / scale));
  const hi = Math.exp(-Math.exp(-bound / scale));
  const u = lo + (hi - lo) * rng.next();
  if (u <= 0) return -bound;
  const g = -scale * Math.log(-Math.log(u));
  return Math.min(bound, Math.max(-bound, g));
}

export class PrivacyCalibrationError extends Error {}

export interface GumbelCalibration {
  a: number;
  /** Scale of the Gumbel noise on distances. */
  b: number;
  /** Mean neighbourhood size λ = ln(n − 1). */
  lambda: number;
  /** The smallest ε this table admits: (5 + 2 ln n) / Δ_min. */
  minEpsilon: number;
}

/**
 * methods.md 7b: a = (ε − 2(1 + ln n)/Δ_min)/3 and b = 2Δ_max / min(W₀(2aΔ_max), ln(aΔ_min)). The scale is
 * a positive number only when a·Δ_min > 1 (otherwise ln(aΔ_min) ≤ 0, or for a ≤ 0 W₀ is negative or not
 * real); the reference code then silently takes a real part. Here it is an error that names the smallest ε
 * the table admits, ε > (3 + 2(1 + ln n))/Δ_min.
 */
export function calibrateTruncatedGumbel(
  epsilon: number,
  vocabulary: number,
  deltaMin: number,
  deltaMax: number,
): GumbelCalibration {
  if (!(deltaMin > 0) || !(deltaMax >= deltaMin))
    throw new PrivacyCalibrationError(
      `truncated Gumbel: need 0 < Δ_min ≤ Δ_max, got ${deltaMin}, ${deltaMax}`,
    );
  const lnN = Math.log(vocabulary);
  const minEpsilon = (5 + 2 * lnN) / deltaMin;
  const a = (epsilon - (2 * (1 + lnN)) / deltaMin) / 3;
  if (!(a * deltaMin > 1))
    throw new PrivacyCalibrationError(
      `truncated Gumbel: ε = ${epsilon} is too small for this table (n = ${vocabulary}, Δ_min = ${deltaMin.toPrecision(4)}); ` +
        `the calibration needs ε > (5 + 2 ln n)/Δ_min = ${minEpsilon.toPrecision(5)}`,
    );
  const b = (2 * deltaMax) / Math.min(lambertW0(2 * a * deltaMax), Math.log(a * deltaMin));
  return { a, b, lambda: Math.log(vocabulary - 1), minEpsilon };
}

/**
 * Truncated Gumbel (Xu et al., FLAIRS 2021; methods.md 7b): k ~ truncated Poisson(ln(n − 1)); the word and
 * its k − 1 nearest neighbours (the word itself counts, at distance 0, as in the newer reference code) get
 * their distance plus truncated Gumbel noise; the smallest wins. k = 0 returns the word.
 */
export class TruncatedGumbel implements WordMechanism {
  readonly name = "gumbel" as const;
  readonly calibration: GumbelCalibration;

  constructor(
    private readonly table: EmbeddingTable,
    private readonly neighbourhoods: Neighbourhoods,
    readonly epsilon: number,
  ) {
    this.calibration = calibrateTruncatedGumbel(
      epsilon,
      table.size,
      neighbourhoods.deltaMin,
      neighbourhoods.deltaMax,
    );
  }

  perturb(word: number, rng: Random): number {
    const { lambda, b } = this.calibration;
    const bound = this.neighbourhoods.deltaMax;
    const k = sampleTruncatedPoisson(rng, lambda, this.table.size - 1);
    if (k === 0) return word;
    let best = word;
    let bestScore = sampleTruncatedGumbel(rng, b, bound);
    const nb = this.neighbourhoods;
    // rowOf first: a lazy table computes the row on first use (and may replace its arrays' contents).
    const at = nb.rowOf(word);
    const { k: cached, ids, distances } = nb;
    const inCache = Math.min(k - 1, cached);
    for (let j = 0; j < inCache; j++) {
      const score = distances[at + j] + sampleTruncatedGumbel(rng, b, bound);
      if (score < bestScore) {
        bestScore = score;
        best = ids[at + j];
      }
    }
    if (k - 1 > cached) {
      // Beyond the cache (vanishingly rare for λ = ln n): the next nearest by brute force.
      const extra = nearestBeyond(this.table, word, k - 1);
      for (let j = cached; j < extra.length; j++) {
        const score = this.table.distance(word, extra[j]) + sampleTruncatedGumbel(rng, b, bound);
        if (score < bestScore) {
          bestScore = score;
          best = extra[j];
        }
      }
    }
    return best;
  }
}

function nearestBeyond(table: EmbeddingTable, word: number, m: number): number[] {
  return exactNearest(table, table.vector(word), m + 1)
    .filter((i) => i !== word)
    .slice(0, m);
}

/** Which word is nearest to an arbitrary vector: exact scan, or an HNSW index for large tables. */
export interface NearestWord {
  readonly exact: boolean;
  nearest(v: Float32Array): number;
  /** The nearest word to each of the count rows of vs (count × dimensions), written into out[0..count). */
  nearestMany(vs: Float32Array, count: number, out: Int32Array): void;
}

export class ExactNearestWord implements NearestWord {
  readonly exact = true;
  constructor(private readonly table: EmbeddingTable) {}

  nearest(v: Float32Array): number {
    let best = 0;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.table.size; i++) {
      const dist = squaredDistanceTo(this.table, i, v);
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    return best;
  }

  nearestMany(vs: Float32Array, count: number, out: Int32Array): void {
    const d = this.table.dimensions;
    for (let q = 0; q < count; q++) out[q] = this.nearest(vs.subarray(q * d, (q + 1) * d));
  }
}

/**
 * Default HNSW search breadth (usearch's expansion_search) for the privacy index: the smallest breadth
 * measured whose word agrees with the exact scan's on at least 95% of noisy vectors, on the shipped 10k-word
 * GloVe table at Laplace ε = 10 (`npm run bench -- privacy --latency-only`, `laplaceSearch`: agreement 0.911
 * at 16, 0.968 at 32, 0.988 at 64, 1.000 at 128 over 1,000 noisy vectors). Wider is closer to exact and
 * slower; the figures and times are in README's Privacy section.
 */
export const DEFAULT_EXPANSION_SEARCH = 32;

/**
 * The nearest word by an HNSW index. Any deterministic nearest-word rule applied to the noisy vector is
 * post-processing of the dχ-private vector, so the guarantee is unchanged; but an approximate search can
 * return a different word from the exact nearest one, which changes the mechanism's output law (and its
 * utility) slightly. How often it differs is measured against ExactNearestWord (mechanisms.test.ts, and
 * the bench's agreement figure), not assumed.
 */
export class IndexedNearestWord implements NearestWord {
  readonly exact = false;
  private readonly index: ReturnType<typeof nearestIndex>;
  private readonly fallback: ExactNearestWord;

  /** index: an HNSW index of the table's rows (keys = row ids) to search; built here when not given. */
  constructor(
    private readonly table: EmbeddingTable,
    threads = 0,
    expansionSearch = DEFAULT_EXPANSION_SEARCH,
    index?: ReturnType<typeof nearestIndex>,
  ) {
    this.index = index ?? nearestIndex(table, threads, expansionSearch);
    this.fallback = new ExactNearestWord(table);
  }

  nearest(v: Float32Array): number {
    // A single query comes back as Matches trimmed to what was found (no counts field).
    const found = this.index.search(v, 1, 1) as unknown as { keys: BigUint64Array };
    const key = found.keys.length > 0 ? Number(found.keys[0]) : this.table.size;
    return key < this.table.size ? key : this.fallback.nearest(v);
  }

  nearestMany(vs: Float32Array, count: number, out: Int32Array): void {
    if (count === 0) return;
    if (count === 1) {
      out[0] = this.nearest(vs.subarray(0, this.table.dimensions));
      return;
    }
    const d = this.table.dimensions;
    // One native call for the whole request (a matrix of count rows) instead of one per word: the
    // per-call crossing and result allocation were most of a word's cost. One thread: requests are small
    // and the server runs many at once.
    const rows = vs.length === count * d ? vs : vs.subarray(0, count * d);
    const found = this.index.search(rows, 1, 1) as unknown as {
      keys: BigUint64Array;
      counts: BigUint64Array;
    };
    for (let q = 0; q < count; q++) {
      const key = Number(found.keys[q]);
      // A row the graph search found nothing for (degenerate index) falls back to the exact scan.
      out[q] =
        Number(found.counts[q]) > 0 && key < this.table.size
          ? key
          : this.fallback.nearest(vs.subarray(q * d, (q + 1) * d));
    }
  }
}

/**
 * Multivariate calibrated Laplace (Feyisetan et al., WSDM 2020; methods.md 7a): noise with density
 * ∝ exp(−ε‖z‖), drawn as a uniform direction on the sphere times a Gamma(d, 1/ε) magnitude, added to the
 * word's vector; the output is the word nearest to the noisy vector (possibly the word itself). dχ-private:
 * P[M(w) = y] ≤ exp(ε‖φ(w) − φ(w')‖)·P[M(w') = y].
 */
export class MultivariateLaplace implements WordMechanism {
  readonly name = "laplace" as const;
  private readonly noisy: Float32Array;
  private readonly direction: Float64Array;
  /** Noisy vectors of a request, grown to the longest request seen. */
  private batch = new Float32Array(0);

  constructor(
    private readonly table: EmbeddingTable,
    private readonly nearestWord: NearestWord,
    readonly epsilon: number,
  ) {
    if (!(epsilon > 0))
      throw new PrivacyCalibrationError(`multivariate Laplace: ε must be > 0, got ${epsilon}`);
    this.noisy = new Float32Array(table.dimensions);
    this.direction = new Float64Array(table.dimensions);
  }

  /** The noise vector z (direction × magnitude) for one draw, written into out. */
  drawNoise(rng: Random, out: Float64Array): void {
    const d = out.length;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      const g = rng.normal();
      out[j] = g;
      norm += g * g;
    }
    const r = sampleGamma(rng, d, 1 / this.epsilon) / Math.sqrt(norm);
    for (let j = 0; j < d; j++) out[j] *= r;
  }

  perturb(word: number, rng: Random): number {
    this.drawNoise(rng, this.direction);
    const v = this.table.vector(word);
    for (let j = 0; j < v.length; j++) this.noisy[j] = v[j] + this.direction[j];
    return this.nearestWord.nearest(this.noisy);
  }

  /** Same draws as perturb word by word; the nearest-word search runs once for the whole request. */
  perturbMany(words: ArrayLike<number>, rng: Random): Int32Array {
    const n = words.length;
    const d = this.table.dimensions;
    if (this.batch.length < n * d) this.batch = new Float32Array(n * d);
    const noisy = this.batch;
    for (let q = 0; q < n; q++) {
      this.drawNoise(rng, this.direction);
      const v = this.table.vector(words[q]);
      for (let j = 0; j < d; j++) noisy[q * d + j] = v[j] + this.direction[j];
    }
    const out = new Int32Array(n);
    this.nearestWord.nearestMany(noisy, n, out);
    return out;
  }
}
