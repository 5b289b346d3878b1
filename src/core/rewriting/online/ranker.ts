import { editSimilarity } from "../../matching/similarity.js";
import { similarityOfContents } from "../rephrase.js";

/**
 * The L2 ranker of the online rewriter (methods.md 2e). Each request's candidates are the request itself
 * ("keep": always a candidate) and what retrieval found in the global and personal layers; a conditional
 * logit (softmax logistic regression over the candidates of one request) scores them from fuzzy-match,
 * phonetic, support, affinity and metadata features. The rewrite fires only when its probability beats
 * keep's by a margin, and personal candidates must first pass the over-fitting guard.
 */

export type CandidateLayer = "original" | "global" | "personal";

export interface RewriteCandidate {
  layer: CandidateLayer;
  /** "utterance", "entity" or "reformulation" (see the indexes); the request itself for "original". */
  source: "original" | "utterance" | "entity" | "reformulation";
  /** What the rewritten request says (the request itself for "original"). */
  text: string;
  /** Content of the utterance retrieval matched: the rewrite's own, or the failed one it was reformulated from. */
  keyContent: string;
  /** The rewrite's content (see requestContent). */
  content: string;
  item: string | null;
  /** Retrieval cosine of request and key (1 for the original). */
  similarity: number;
  /**
   * Global layer: turns behind the entry, distinct users, the rewrite's success rate, the share of its
   * successes that led to `item`, and for a reformulation the share of the key's turns it came from.
   */
  support?: { count: number; users: number; successRate: number; itemShare: number; share: number };
  /** Personal layer: the entry's weight (affinity x recency x count). */
  personal?: { weight: number; count: number };
  /** The requesting user's affinity for `item`, when the personal layer is on and knows it. */
  affinity?: number;
  /** Catalogue kind of `item`, when known. */
  itemKind?: string;
}

/** What the ranker knows about the request itself. */
export interface QueryInfo {
  text: string;
  content: string;
  asrConfidence?: number;
  /** Kind the request names ("the song ..."), if any. */
  kindHint: string | null;
  /**
   * Catalogue matches of the request: the best score, the items at (nearly) that score, and every
   * matched item's score.
   */
  catalogue?: { bestScore: number; items: ReadonlySet<string>; scores: ReadonlyMap<string, number> };
  /** What the global logs say about the request's own wording (known to work, or to fail). */
  own?: { turns: number; successes: number; successRate: number };
}

export const featureNames = [
  "bias-rewrite",
  "cosine",
  "phonetic",
  "edit",
  "tokens",
  "same-content",
  "global",
  "global-users",
  "global-success",
  "global-item-share",
  "global-share",
  "personal",
  "personal-weight",
  "entity",
  "reformulation",
  "affinity",
  "kind-fit",
  "catalogue-agrees",
  "keep-catalogue-score",
  "keep-asr-confidence",
  "keep-own-success",
  "keep-own-successes",
  "keep-own-failures",
] as const;
export type FeatureName = (typeof featureNames)[number];
export const featureCount = featureNames.length;
/** Column of each feature. */
export const featureIndex = Object.fromEntries(featureNames.map((n, i) => [n, i])) as Record<
  FeatureName,
  number
>;

const LOG_USERS = Math.log1p(100);

/**
 * +1 when the item is of the kind the request names, -1 when it is not, 0 when either is unknown. Only
 * video and movie count as one ("watch" names both); a book and its audiobook are different answers.
 */
export function kindFit(hint: string | null, kind: string | undefined): number {
  if (hint === null || kind === undefined) return 0;
  if (hint === kind) return 1;
  const screen = (k: string) => k === "video" || k === "movie";
  return screen(hint) && screen(kind) ? 1 : -1;
}

/**
 * Features of one candidate. Keep's features describe the request (how well it matches the catalogue,
 * how sure the recogniser was, whether others succeeded with it); a rewrite's describe how close its key
 * is to the request and how well supported it is. Within one request only differences matter to the
 * softmax, so the two kinds of features never need to share columns.
 */
export function candidateFeatures(
  q: QueryInfo,
  c: RewriteCandidate,
  closeness: (keyContent: string) => Closeness = (k) => closenessOf(q.content, k),
): Float64Array {
  const x = new Float64Array(featureCount);
  if (c.layer === "original") {
    x[featureIndex["keep-catalogue-score"]] = q.catalogue?.bestScore ?? 0.5;
    x[featureIndex["keep-asr-confidence"]] = q.asrConfidence ?? 0.8;
    // A wording that failed for many before is the strongest reason to rewrite it (as in the Markov table).
    const own = q.own ?? { turns: 0, successes: 0, successRate: 0.5 };
    x[featureIndex["keep-own-success"]] = own.successRate;
    x[featureIndex["keep-own-successes"]] = Math.min(1, Math.log1p(own.successes) / LOG_USERS);
    x[featureIndex["keep-own-failures"]] = Math.min(1, Math.log1p(own.turns - own.successes) / LOG_USERS);
    return x;
  }
  const sim = closeness(c.keyContent);
  x[featureIndex["bias-rewrite"]] = 1;
  x[featureIndex.cosine] = c.similarity;
  x[featureIndex.phonetic] = sim.phonetic;
  x[featureIndex.edit] = sim.edit;
  x[featureIndex.tokens] = sim.tokens;
  x[featureIndex["same-content"]] = q.content === c.content ? 1 : 0;
  if (c.layer === "global") {
    x[featureIndex.global] = 1;
    const s = c.support;
    if (s !== undefined) {
      x[featureIndex["global-users"]] = Math.min(1, Math.log1p(s.users) / LOG_USERS);
      x[featureIndex["global-success"]] = s.successRate;
      x[featureIndex["global-item-share"]] = s.itemShare;
      x[featureIndex["global-share"]] = s.share;
    }
  } else {
    x[featureIndex.personal] = 1;
    x[featureIndex["personal-weight"]] = c.personal?.weight ?? 0;
  }
  x[featureIndex.entity] = c.source === "entity" ? 1 : 0;
  x[featureIndex.reformulation] = c.source === "reformulation" ? 1 : 0;
  x[featureIndex.affinity] = c.affinity === undefined ? 0 : c.affinity - 0.5;
  x[featureIndex["kind-fit"]] = kindFit(q.kindHint, c.itemKind);
  // The request alone already reaches this item: the rewrite changes little.
  x[featureIndex["catalogue-agrees"]] = c.item === null ? 0 : (q.catalogue?.scores.get(c.item) ?? 0);
  return x;
}

/** How close a request's content is to a candidate's key content. */
export interface Closeness {
  /** rephraseSimilarity's mix. */
  score: number;
  phonetic: number;
  edit: number;
  tokens: number;
}

export function closenessOf(content: string, keyContent: string): Closeness {
  const s = similarityOfContents(content, keyContent);
  return {
    score: s.score,
    phonetic: s.phonetic,
    edit: editSimilarity(content, keyContent),
    tokens: s.tokens,
  };
}

/** closenessOf(content, ·), computed once per distinct key content (many entries share one). */
export function closenessCache(content: string): (keyContent: string) => Closeness {
  const memo = new Map<string, Closeness>();
  return (k) => {
    let c = memo.get(k);
    if (c === undefined) {
      c = closenessOf(content, k);
      memo.set(k, c);
    }
    return c;
  };
}

export interface GuardOptions {
  /** A personal candidate must be at least this close to the request (rephrase score or sound). */
  minPersonalSimilarity: number;
  /**
   * When the request matches a catalogue title this well, a candidate for a different item is refused:
   * the user said a real title, however much they like another one.
   */
  realTitleScore: number;
  /** Apply the real-title rule to global candidates too (off: global rewrites fix NLU/ER errors). */
  guardGlobal: boolean;
  /** Refuse any candidate whose item is of another kind than the one the request names ("the book"). */
  keepKind: boolean;
}

export const defaultGuardOptions: GuardOptions = {
  minPersonalSimilarity: 0.55,
  realTitleScore: 0.9,
  guardGlobal: false,
  keepKind: true,
};

/**
 * The guards. Over-fitting (the seed's example: a fan of "We Don't Talk Anymore" asking for "We Don't
 * Talk About Bruno" must get Bruno): a personal candidate passes only when it sounds or reads like the
 * request and the request is not itself a good match of a different catalogue item. Kind: no candidate
 * may change the kind the request names.
 */
export function passesGuard(
  q: QueryInfo,
  c: RewriteCandidate,
  o: GuardOptions = defaultGuardOptions,
  closeness: (keyContent: string) => Closeness = (k) => closenessOf(q.content, k),
): boolean {
  if (c.layer === "original") return true;
  if (o.keepKind && kindFit(q.kindHint, c.itemKind) < 0) return false;
  if (c.layer === "personal") {
    const sim = closeness(c.keyContent);
    if (Math.max(sim.score, sim.phonetic) < o.minPersonalSimilarity) return false;
  } else if (!o.guardGlobal) return true;
  const cat = q.catalogue;
  if (cat === undefined || cat.bestScore < o.realTitleScore) return true;
  return c.item !== null && cat.items.has(c.item);
}

/** One request's candidates for training: features and which candidates were right. */
export interface TrainingGroup {
  features: Float64Array[];
  positive: boolean[];
}

export interface RankerTrainOptions {
  epochs: number;
  learningRate: number;
  l2: number;
}

export const defaultRankerTrainOptions: RankerTrainOptions = { epochs: 300, learningRate: 0.5, l2: 1e-3 };

/**
 * Hand-set weights for an untrained ranker: closeness and support pull towards a rewrite, a request that
 * matches the catalogue and was heard confidently pulls towards keeping it.
 */
const DEFAULT_WEIGHTS: Partial<Record<FeatureName, number>> = {
  "bias-rewrite": -6,
  cosine: 2,
  phonetic: 2,
  edit: 3,
  tokens: 1,
  "global-users": 1,
  "global-success": 1,
  "global-item-share": 0.5,
  "personal-weight": 2,
  entity: -0.5,
  reformulation: 1,
  affinity: 2,
  "kind-fit": 0.5,
  "catalogue-agrees": -1,
  "keep-catalogue-score": 3,
  "keep-asr-confidence": 2,
  "keep-own-success": 2,
};

export class RewriteRanker {
  constructor(readonly weights: Float64Array = weightsOf(DEFAULT_WEIGHTS)) {
    if (weights.length !== featureCount) throw new Error(`expected ${featureCount} weights`);
  }

  /** A ranker with the given weights by feature name (0 for the others). */
  static fromNamed(weights: Partial<Record<FeatureName, number>>): RewriteRanker {
    return new RewriteRanker(weightsOf(weights));
  }

  /** Weights by feature name. */
  named(): Record<FeatureName, number> {
    return Object.fromEntries(featureNames.map((n, i) => [n, this.weights[i]])) as Record<
      FeatureName,
      number
    >;
  }

  /** Softmax probabilities of one request's candidates. */
  probabilities(features: readonly Float64Array[]): number[] {
    const p = features.map((x) => dot(this.weights, x, 0));
    softmaxInPlace(p, 0, p.length);
    return p;
  }

  /**
   * Fits the conditional logit by full-batch gradient descent (with momentum) on groups that have at
   * least one positive, maximising the probability mass on the positives. Features are copied into one
   * flat array first: the loop then allocates nothing. Deterministic given the groups.
   */
  static train(
    groups: readonly TrainingGroup[],
    options: Partial<RankerTrainOptions> = {},
    init?: Float64Array,
  ): RewriteRanker {
    const o = { ...defaultRankerTrainOptions, ...options };
    const usable = groups.filter((g) => g.positive.some((p) => p) && g.features.length > 1);
    if (usable.length === 0) return new RewriteRanker();
    const start = new Int32Array(usable.length + 1);
    for (let g = 0; g < usable.length; g++) start[g + 1] = start[g] + usable[g].features.length;
    const n = start[usable.length];
    const x = new Float64Array(n * featureCount);
    const positive = new Uint8Array(n);
    usable.forEach((g, gi) => {
      g.features.forEach((f, i) => {
        x.set(f, (start[gi] + i) * featureCount);
        positive[start[gi] + i] = g.positive[i] ? 1 : 0;
      });
    });
    const w = Float64Array.from(init ?? new Float64Array(featureCount));
    const velocity = new Float64Array(featureCount);
    const grad = new Float64Array(featureCount);
    const p = new Float64Array(n);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      grad.fill(0);
      for (let i = 0; i < n; i++) p[i] = dot(w, x, i * featureCount);
      for (let g = 0; g < usable.length; g++) {
        const lo = start[g];
        const hi = start[g + 1];
        softmaxInPlace(p, lo, hi);
        let pos = 0;
        for (let i = lo; i < hi; i++) if (positive[i]) pos += p[i];
        // d(-log Σ_pos p)/dlogit_i = p_i - [i pos] p_i / pos.
        for (let i = lo; i < hi; i++) {
          const d = positive[i] ? p[i] - p[i] / pos : p[i];
          if (d === 0) continue;
          const off = i * featureCount;
          for (let f = 0; f < featureCount; f++) grad[f] += d * x[off + f];
        }
      }
      for (let f = 0; f < featureCount; f++) {
        const gf = grad[f] / usable.length + o.l2 * w[f];
        velocity[f] = 0.9 * velocity[f] - o.learningRate * gf;
        w[f] += velocity[f];
      }
    }
    return new RewriteRanker(w);
  }

  /** Mean log-likelihood of the positives, for checking a fit. */
  logLikelihood(groups: readonly TrainingGroup[]): number {
    let sum = 0;
    let n = 0;
    for (const g of groups) {
      if (!g.positive.some((p) => p)) continue;
      const p = this.probabilities(g.features);
      sum += Math.log(p.reduce((a, v, i) => a + (g.positive[i] ? v : 0), 0) + 1e-12);
      n++;
    }
    return n === 0 ? 0 : sum / n;
  }
}

function weightsOf(named: Partial<Record<FeatureName, number>>): Float64Array {
  return Float64Array.from(featureNames, (n) => named[n] ?? 0);
}

function dot(w: Float64Array, x: Float64Array, offset: number): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x[offset + i];
  return s;
}

/** Logits p[lo..hi) to probabilities, in place. */
function softmaxInPlace(p: { [i: number]: number }, lo: number, hi: number): void {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = lo; i < hi; i++) if (p[i] > m) m = p[i];
  let z = 0;
  for (let i = lo; i < hi; i++) {
    p[i] = Math.exp(p[i] - m);
    z += p[i];
  }
  for (let i = lo; i < hi; i++) p[i] /= z;
}
