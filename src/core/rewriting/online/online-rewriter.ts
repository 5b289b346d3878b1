import type { MatchCandidate, MatchOptions } from "../../matching/catalogue-index.js";
import { normalizeText } from "../../matching/normalize.js";
import { parseRequest } from "../../matching/request.js";
import type { VoiceTurn } from "../../voice/turn.js";
import {
  defaultRephraseOptions,
  detectRephrases,
  type RephraseOptions,
  requestContent,
  signalReasons,
} from "../rephrase.js";
import type { GlobalIndex } from "./global-index.js";
import { type AffinityFn, type PersonalIndex, substituteEntity } from "./personal-index.js";
import {
  candidateFeatures,
  closenessCache,
  defaultGuardOptions,
  type GuardOptions,
  kindFit,
  passesGuard,
  type QueryInfo,
  type RewriteCandidate,
  RewriteRanker,
} from "./ranker.js";

/**
 * The online rewriter (methods.md 2e): first the exact rewrite table of the absorbing Markov chain
 * (2a), then retrieval from the global index of frequent successful requests and the user's personal
 * index, then the ranker, which fires only past a margin over keeping the request as said.
 */

/** Anything with the rewrite table's lookup (markov.ts RewriteTable fits): an exact match gives its rewrite. */
export interface RewriteLookup {
  lookup(text: string): { rewrite: string } | null | undefined;
}

/** What the catalogue guard and the kind feature need: CatalogueIndex fits. */
export interface CatalogueMatcher {
  match(text: string, options?: MatchOptions): MatchCandidate[];
}

export interface ItemInfo {
  id: string;
  title: string;
  creators?: readonly string[];
  kind?: string;
}

/** The parts of a turn known before answering it. */
export type RewriteRequest = Pick<VoiceTurn, "text" | "user"> &
  Partial<Pick<VoiceTurn, "timeMs" | "asrConfidence" | "device" | "requestId">>;

export type RewriteLayer = "markov" | "global" | "personal";

export interface RewriteResult {
  /** The text to serve: the rewrite, or the original when nothing fired. */
  text: string;
  rewritten: boolean;
  layer: RewriteLayer | null;
  /**
   * The ranker's probability of the chosen item, summed over its wordings (1 for a table rewrite, keep's
   * when nothing fired).
   */
  score: number;
  original: string;
  /** The item the rewrite led to in the logs, when known. */
  item: string | null;
}

export interface OnlineRewriterOptions {
  /** Candidates retrieved per layer. */
  k: number;
  /** Minimum retrieval cosine. */
  minSimilarity: number;
  /** The rewrite's probability must exceed keep's by this much. */
  margin: number;
  /** And be at least this. */
  minProbability: number;
  /** Layers in use (global alone vs global + personal is the A/B of the issue). */
  layers: { markov: boolean; global: boolean; personal: boolean };
  guard: GuardOptions;
  /** Catalogue matches within this of the best count as "the items the request names". */
  catalogueTie: number;
  /** Rephrase detection for online reformulations (observe). */
  rephrase?: Partial<RephraseOptions>;
}

export const defaultOnlineRewriterOptions: OnlineRewriterOptions = {
  k: 10,
  minSimilarity: 0.35,
  margin: 0.1,
  minProbability: 0.4,
  layers: { markov: true, global: true, personal: true },
  guard: defaultGuardOptions,
  catalogueTie: 0.02,
};

export interface OnlineRewriterParts {
  markov?: RewriteLookup | null;
  global?: GlobalIndex | null;
  personal?: PersonalIndex | null;
  ranker?: RewriteRanker;
  catalogue?: CatalogueMatcher | null;
  items?: readonly ItemInfo[];
  /** The user's affinity for an item, for the ranker's affinity feature (personal layer only). */
  affinity?: AffinityFn;
}

/** Candidates of one request with everything the ranker needs. */
export interface CandidateSet {
  query: QueryInfo;
  /** candidates[0] is always the original request. */
  candidates: RewriteCandidate[];
  /** The ranker's features of each candidate. */
  features: Float64Array[];
}

export class OnlineRewriter {
  readonly options: OnlineRewriterOptions;
  ranker: RewriteRanker;
  private readonly items = new Map<string, ItemInfo>();
  /** Per user and device, the last few observed turns, for online rephrase detection. */
  private readonly recent = new Map<string, Observed[]>();
  readonly rephraseOptions: RephraseOptions;

  constructor(
    readonly parts: OnlineRewriterParts,
    options: Partial<OnlineRewriterOptions> = {},
  ) {
    this.options = { ...defaultOnlineRewriterOptions, ...options };
    this.rephraseOptions = { ...defaultRephraseOptions, ...options.rephrase };
    this.ranker = parts.ranker ?? new RewriteRanker();
    for (const it of parts.items ?? []) this.items.set(it.id, it);
  }

  private get personalOn(): boolean {
    return this.options.layers.personal && this.parts.personal != null;
  }

  /** The request as the ranker sees it, and every retrieved candidate that passes the guard. */
  candidates(req: RewriteRequest): CandidateSet {
    const o = this.options;
    const content = requestContent(req.text);
    const query: QueryInfo = {
      text: req.text,
      content,
      asrConfidence: req.asrConfidence,
      kindHint: parseRequest(req.text).kindHint,
    };
    const catalogue = this.parts.catalogue;
    if (catalogue != null) {
      const matches = catalogue.match(req.text, { limit: 5 });
      const best = matches[0]?.score ?? 0;
      const scores = new Map<string, number>();
      for (const m of matches) if (!scores.has(m.itemId)) scores.set(m.itemId, m.score);
      query.catalogue = {
        bestScore: best,
        items: new Set(matches.filter((m) => m.score >= best - o.catalogueTie).map((m) => m.itemId)),
        scores,
      };
    }
    const global = o.layers.global ? this.parts.global : null;
    const own = global?.statsOf(req.text);
    if (own !== undefined)
      query.own = { turns: own.turns, successes: own.successes, successRate: own.successRate };

    const out: RewriteCandidate[] = [
      {
        layer: "original",
        source: "original",
        text: req.text,
        keyContent: content,
        content,
        item: null,
        similarity: 1,
      },
    ];
    // One candidate per layer, wording and item; never the request's own wording.
    const seen = new Set<string>([`g\u0000${normalizeText(req.text)}`, `p\u0000${normalizeText(req.text)}`]);
    const fresh = (layer: string, text: string, item: string | null) => {
      const key = `${layer}\u0000${normalizeText(text)}`;
      const withItem = `${key}\u0000${item}`;
      if (seen.has(key) || seen.has(withItem)) return false;
      seen.add(withItem);
      return true;
    };
    if (global != null) {
      for (const h of global.nearestContent(content, o.k, o.minSimilarity)) {
        const e = h.entry;
        if (!fresh("g", e.text, e.item)) continue;
        out.push({
          layer: "global",
          source: e.source,
          text: e.text,
          keyContent: e.keyContent,
          content: e.content,
          item: e.item,
          similarity: h.similarity,
          support: {
            count: e.count,
            users: e.users,
            successRate: e.successRate,
            itemShare: e.itemShare,
            share: e.share,
          },
        });
      }
    }
    if (this.personalOn) {
      const now = req.timeMs ?? 0;
      for (const h of this.parts.personal!.nearest(req.user, req.text, o.k, now, o.minSimilarity)) {
        const e = h.entry;
        const text =
          e.source === "entity" ? substituteEntity(req.text, e.title ?? e.text, e.creator) : e.text;
        if (!fresh("p", text, e.item)) continue;
        out.push({
          layer: "personal",
          source: e.source,
          text,
          keyContent: e.keyContent,
          content: e.content,
          item: e.item,
          similarity: h.similarity,
          personal: { weight: h.weight, count: e.count },
        });
      }
    }
    for (const c of out) {
      if (c.item === null) continue;
      c.itemKind = this.items.get(c.item)?.kind;
      if (this.personalOn) c.affinity = this.parts.affinity?.(req.user, c.item);
    }
    const closeness = closenessCache(content);
    const candidates = out.filter((c) => passesGuard(query, c, o.guard, closeness));
    const features = candidates.map((c) => candidateFeatures(query, c, closeness));
    return { query, candidates, features };
  }

  /** The rewrite to serve for a request (or the request itself). */
  rewrite(req: RewriteRequest): RewriteResult {
    const keep = (score: number): RewriteResult => ({
      text: req.text,
      rewritten: false,
      layer: null,
      score,
      original: req.text,
      item: null,
    });
    const o = this.options;
    if (o.layers.markov && this.parts.markov != null) {
      const hit = this.parts.markov.lookup(req.text);
      if (hit != null && normalizeText(hit.rewrite) !== normalizeText(req.text)) {
        // The table knows no items, but its rewrite may name a kind: it must not contradict the request's.
        const kindKept =
          !o.guard.keepKind ||
          kindFit(parseRequest(req.text).kindHint, parseRequest(hit.rewrite).kindHint ?? undefined) >= 0;
        if (kindKept) {
          return {
            text: hit.rewrite,
            rewritten: true,
            layer: "markov",
            score: 1,
            original: req.text,
            item: null,
          };
        }
      }
    }
    const { candidates, features } = this.candidates(req);
    if (candidates.length === 1) return keep(1);
    const p = this.ranker.probabilities(features);
    // Wordings of one item split its probability between them: decide on the item's total, then serve
    // its likeliest wording.
    const groupOf = (i: number) => candidates[i].item ?? `#${i}`;
    const mass = new Map<string, number>();
    for (let i = 1; i < p.length; i++) mass.set(groupOf(i), (mass.get(groupOf(i)) ?? 0) + p[i]);
    let group = groupOf(1);
    for (const [g, m] of mass) if (m > mass.get(group)!) group = g;
    const total = mass.get(group)!;
    if (total - p[0] < o.margin || total < o.minProbability) return keep(p[0]);
    let best = -1;
    for (let i = 1; i < p.length; i++) if (groupOf(i) === group && (best < 0 || p[i] > p[best])) best = i;
    const c = candidates[best];
    return {
      text: c.text,
      rewritten: true,
      layer: c.layer === "personal" ? "personal" : "global",
      score: total,
      original: req.text,
      item: c.item,
    };
  }

  /** Takes over another rewriter's online rephrase state (same personal index, e.g. after retraining). */
  adoptState(other: OnlineRewriter): void {
    for (const [k, v] of other.recent) this.recent.set(k, v);
  }

  /**
   * Online update after a turn's outcome is known (default: no barge-in, error or short play). A success
   * enters the user's personal index, with its item as an entity when the catalogue knows it. Each turn
   * is also checked against the user's last turns on the device: a rephrase takes back the success of
   * the turn it rephrases, and a successful one records a reformulation for every failed turn of its
   * chain (the user's nickname or mispronunciation of what they finally got).
   */
  observe(turn: VoiceTurn, success: boolean = signalReasons(turn, undefined).length === 0): void {
    const personal = this.parts.personal;
    if (personal == null) return;
    const key = `${turn.user}\u0000${turn.device ?? ""}`;
    let window = this.recent.get(key) ?? [];
    window = window.filter((w) => turn.timeMs - w.turn.timeMs <= RECENT_MS);
    let earlier: Observed | null = null;
    if (window.length > 0) {
      const links = detectRephrases([...window.map((w) => w.turn), turn], this.rephraseOptions);
      const of = links[links.length - 1].rephraseOf;
      earlier = of === null ? null : (window.find((w) => w.turn.requestId === of) ?? null);
    }
    if (earlier !== null) {
      if (earlier.success) {
        personal.forget(earlier.turn);
        earlier.success = false;
      }
      if (success) {
        let w: Observed | null = earlier;
        for (let steps = 0; w !== null && steps < 10; steps++, w = w.prev) {
          personal.observeReformulation(w.turn, turn);
        }
      }
    }
    personal.observe(turn, success);
    if (success && turn.resolvedItem !== undefined) {
      const item = this.items.get(turn.resolvedItem);
      if (item !== undefined) personal.addEntity(turn.user, item, turn.timeMs);
    }
    window.push({ turn, success, prev: earlier });
    if (window.length > this.rephraseOptions.lookback) window.shift();
    this.recent.set(key, window);
  }
}

interface Observed {
  turn: VoiceTurn;
  success: boolean;
  /** The turn this one rephrased, for walking a chain back. */
  prev: Observed | null;
}

/** Turns older than this cannot be rephrased any more (a generous bound on gap plus play). */
const RECENT_MS = 10 * 60_000;
