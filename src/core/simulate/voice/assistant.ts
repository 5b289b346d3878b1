import type { CatalogueItemInput, PlayContext, ResponseKind } from "../../../schema/events.js";
import { CatalogueIndex } from "../../matching/catalogue-index.js";
import { normalizeText } from "../../matching/normalize.js";
import { type KindHint, parseRequest } from "../../matching/request.js";
import { creatorSimilarity } from "../../matching/similarity.js";
import { mixSeed, unitHash } from "./hash.js";

/**
 * The assistant under test: NLU then entity resolution over the catalogue, with no personalisation, as a
 * deterministic function of the text and the device. An evaluator can replay any text (say, a rewrite)
 * and see what the assistant would have done. Its errors are realistic ones: a title-only request is
 * routed to the kind that is most popular for that title whoever asks and wherever ("the hunger games"
 * goes to the movie, also on a speaker), same-title items are chosen by global popularity (the wrong
 * "Hello" for fans of the other), and a small share of texts is misrouted or misresolved for no visible
 * reason (keyed by the text, so the same words fail the same way every time).
 */

export type VoiceIntent =
  | "PlayMusic"
  | "PlayVideo"
  | "ReadBook"
  | "PlayAudiobook"
  | "PlayPodcast"
  | "PlayStation"
  | "Unknown";

/** Catalogue kinds each intent resolves among. */
export const INTENT_KINDS: Record<VoiceIntent, readonly string[]> = {
  PlayMusic: ["song"],
  PlayVideo: ["movie", "video"],
  ReadBook: ["book"],
  PlayAudiobook: ["audiobook"],
  PlayPodcast: ["podcast"],
  PlayStation: ["other"],
  Unknown: [],
};

const HINT_INTENT: Record<KindHint, VoiceIntent> = {
  song: "PlayMusic",
  video: "PlayVideo",
  movie: "PlayVideo",
  podcast: "PlayPodcast",
  audiobook: "PlayAudiobook",
  book: "ReadBook",
};

/** Where a misrouted request of each intent goes: the confusions an NLU model plausibly makes. */
const CONFUSED_INTENT: Record<VoiceIntent, readonly [VoiceIntent, VoiceIntent]> = {
  PlayMusic: ["PlayPodcast", "PlayVideo"],
  PlayVideo: ["ReadBook", "PlayMusic"],
  ReadBook: ["PlayVideo", "PlayAudiobook"],
  PlayAudiobook: ["PlayVideo", "PlayMusic"],
  PlayPodcast: ["PlayMusic", "PlayAudiobook"],
  PlayStation: ["PlayMusic", "PlayPodcast"],
  Unknown: ["Unknown", "Unknown"],
};

const INTENT_ORDER: readonly VoiceIntent[] = [
  "PlayMusic",
  "PlayVideo",
  "ReadBook",
  "PlayAudiobook",
  "PlayPodcast",
  "PlayStation",
];
const KIND_INTENT = new Map<string, VoiceIntent>();
for (const intent of INTENT_ORDER) for (const kind of INTENT_KINDS[intent]) KIND_INTENT.set(kind, intent);

/** Candidates below this text score are not taken for the item. */
const MIN_SCORE = 0.6;
/** Candidates this close to the best count as equally good matches. */
const NEAR_BEST = 0.03;
/** Creator similarity from which a named creator counts as matched. */
const CREATOR_MATCH = 0.7;
/** Transcripts below this ASR confidence are ignored (false-wake rejection). */
const DEFAULT_IGNORE_BELOW = 0.25;
const SCREEN_KINDS = new Set(["movie", "video"]);
/** Verbs of listening: the request is not for something to read or watch. */
const LISTEN_RE = /^(?:listen to|i want to hear|let me hear) /;

export interface AssistantOptions {
  /** Salt of the text-keyed errors. */
  seed: number;
  nluErrorRate: number;
  erErrorRate: number;
  unavailableRate: number;
  /** ASR confidence below which a turn is ignored (default 0.25). */
  ignoreBelow?: number;
}

/** Why the assistant answered as it did; the simulator's truth reads it, no real assistant reports it. */
export interface AssistantTrace {
  /** The intent was changed by the text-keyed NLU error. */
  nluNoise: boolean;
  /** Resolution slipped to another candidate (or none) by the text-keyed ER error. */
  erNoise: boolean;
  /** The intent came from words in the request ("watch", "audiobook"), not from the title. */
  explicitKind: boolean;
  /** Several items matched equally well and global popularity chose. */
  tieBroken: boolean;
  unavailable: boolean;
  /** A movie or video on a device without a screen. */
  noScreen: boolean;
  /** Ignored for low ASR confidence. */
  ignored: boolean;
}

export interface AssistantResponse {
  intent: VoiceIntent | null;
  intentConfidence: number | null;
  resolvedItem: string | null;
  responseKind: ResponseKind;
  trace: AssistantTrace;
}

interface Understanding {
  intent: VoiceIntent;
  intentConfidence: number;
  resolved: number;
  nluNoise: boolean;
  erNoise: boolean;
  explicitKind: boolean;
  tieBroken: boolean;
}

/** The assistant's fixed knowledge: catalogue index, titles, global popularity, and a memo of answers. */
export interface AssistantState {
  readonly ids: readonly string[];
  readonly kinds: readonly string[];
  readonly creators: readonly string[];
  readonly popularity: Float64Array;
  readonly index: CatalogueIndex;
  readonly itemIndex: ReadonlyMap<string, number>;
  readonly byTitle: ReadonlyMap<string, readonly number[]>;
  readonly options: Required<AssistantOptions>;
  readonly salt: { nlu: number; nluPick: number; er: number; confidence: number; unavailable: number };
  /** Answers per text: the assistant is deterministic, so each text is understood once. */
  readonly memo: Map<string, Understanding>;
}

/** Builds the assistant over a catalogue; `popularity` is each item's global popularity (any scale, higher wins). */
export function buildAssistant(
  catalogue: readonly CatalogueItemInput[],
  popularity: ArrayLike<number>,
  options: AssistantOptions,
): AssistantState {
  const byTitle = new Map<string, number[]>();
  const itemIndex = new Map<string, number>();
  catalogue.forEach((item, i) => {
    itemIndex.set(item.id, i);
    const key = normalizeText(item.title);
    const group = byTitle.get(key);
    if (group) group.push(i);
    else byTitle.set(key, [i]);
  });
  const s = options.seed;
  return {
    ids: catalogue.map((c) => c.id),
    kinds: catalogue.map((c) => c.kind ?? "song"),
    creators: catalogue.map((c) => normalizeText(c.creators?.[0] ?? "")),
    popularity: Float64Array.from(popularity),
    index: new CatalogueIndex(
      catalogue.map((c) => ({
        id: c.id,
        title: c.title,
        creators: c.creators ?? [],
        kind: c.kind ?? "song",
      })),
    ),
    itemIndex,
    byTitle,
    options: { ignoreBelow: DEFAULT_IGNORE_BELOW, ...options },
    salt: {
      nlu: mixSeed(s, 101),
      nluPick: mixSeed(s, 102),
      er: mixSeed(s, 103),
      confidence: mixSeed(s, 104),
      unavailable: mixSeed(s, 105),
    },
    memo: new Map(),
  };
}

/** Whether an item cannot be played on a type of device (licensing): fixed per pair. */
export function isUnavailable(
  state: AssistantState,
  itemId: string,
  deviceType: string | undefined,
): boolean {
  return (
    unitHash(`${itemId}\u0000${deviceType ?? ""}`, state.salt.unavailable) < state.options.unavailableRate
  );
}

/**
 * What the assistant does with a transcript on a device: intent, resolved item and the kind of answer.
 * Deterministic given the state; `asrConfidence` below the state's threshold makes it ignore the turn.
 */
export function assistantRespond(
  text: string,
  context: PlayContext | undefined,
  state: AssistantState,
  asrConfidence?: number,
): AssistantResponse {
  const trace: AssistantTrace = {
    nluNoise: false,
    erNoise: false,
    explicitKind: false,
    tieBroken: false,
    unavailable: false,
    noScreen: false,
    ignored: false,
  };
  if (asrConfidence !== undefined && asrConfidence < state.options.ignoreBelow) {
    trace.ignored = true;
    return { intent: null, intentConfidence: null, resolvedItem: null, responseKind: "none", trace };
  }
  let u = state.memo.get(text);
  if (u === undefined) {
    u = understand(text, state);
    state.memo.set(text, u);
  }
  trace.nluNoise = u.nluNoise;
  trace.erNoise = u.erNoise;
  trace.explicitKind = u.explicitKind;
  trace.tieBroken = u.tieBroken;
  const base = { intent: u.intent, intentConfidence: u.intentConfidence, trace };
  if (u.resolved < 0) return { ...base, resolvedItem: null, responseKind: "dont-know" };
  const resolvedItem = state.ids[u.resolved];
  if (SCREEN_KINDS.has(state.kinds[u.resolved]) && context?.hasScreen === false) {
    trace.noScreen = true;
    return { ...base, resolvedItem, responseKind: "error" };
  }
  if (isUnavailable(state, resolvedItem, context?.deviceType)) {
    trace.unavailable = true;
    return { ...base, resolvedItem, responseKind: "answer" };
  }
  return { ...base, resolvedItem, responseKind: "play" };
}

interface Candidate {
  i: number;
  score: number;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** NLU and ER of one text, context-free. */
function understand(text: string, state: AssistantState): Understanding {
  const norm = normalizeText(text);
  const h = unitHash(norm, state.salt.confidence);
  const none: Understanding = {
    intent: "Unknown",
    intentConfidence: round3(0.1 + 0.3 * h),
    resolved: -1,
    nluNoise: false,
    erNoise: false,
    explicitKind: false,
    tieBroken: false,
  };
  if (norm === "") return none;
  // "station" is no kind word of the request parser; it names the intent and is dropped for matching.
  const words = norm.split(" ");
  const station = words.includes("station") && words.length > 1;
  const matchText = station ? words.filter((w) => w !== "station").join(" ") : norm;
  const parsed = parseRequest(matchText);
  const candidates = findCandidates(state, matchText, parsed.title, parsed.creator);

  let intent: VoiceIntent;
  let confidence: number;
  const explicit: VoiceIntent | null = station
    ? "PlayStation"
    : parsed.kindHint
      ? HINT_INTENT[parsed.kindHint]
      : null;
  const best = candidates.reduce((m, c) => Math.max(m, c.score), 0);
  if (explicit !== null) {
    intent = explicit;
    confidence = 0.8 + 0.18 * h;
  } else if (best < MIN_SCORE) {
    return none;
  } else {
    // The title's most popular kind wins, whoever asks and on whatever device; only "listen to" rules
    // out reading and watching.
    const weight = new Map<VoiceIntent, number>();
    let total = 0;
    const listen = LISTEN_RE.test(norm);
    for (const c of candidates) {
      if (c.score < best - NEAR_BEST) continue;
      const intentOf = KIND_INTENT.get(state.kinds[c.i]) ?? "PlayMusic";
      if (listen && (intentOf === "ReadBook" || intentOf === "PlayVideo")) continue;
      const w = Math.exp(state.popularity[c.i]);
      weight.set(intentOf, (weight.get(intentOf) ?? 0) + w);
      total += w;
    }
    if (total === 0) return none;
    intent = "PlayMusic";
    let top = -1;
    for (const candidate of INTENT_ORDER) {
      const w = weight.get(candidate) ?? -1;
      if (w > top) {
        top = w;
        intent = candidate;
      }
    }
    confidence = Math.min(0.99, 0.3 + 0.6 * (top / total) + 0.08 * h);
  }
  let nluNoise = false;
  if (unitHash(norm, state.salt.nlu) < state.options.nluErrorRate) {
    intent = CONFUSED_INTENT[intent][unitHash(norm, state.salt.nluPick) < 0.5 ? 0 : 1];
    confidence = 0.25 + 0.5 * h;
    nluNoise = true;
  }

  const kinds = INTENT_KINDS[intent];
  let pool = candidates.filter((c) => c.score >= MIN_SCORE && kinds.includes(state.kinds[c.i]));
  if (pool.length === 0) {
    for (const kind of kinds) {
      for (const m of state.index.match(matchText, { kind, limit: 5 })) {
        const i = state.itemIndex.get(m.itemId);
        if (i !== undefined && m.score >= MIN_SCORE) pool.push({ i, score: m.score });
      }
    }
  }
  // Equal scores (to two decimals) are decided by global popularity: the assistant knows no one's taste.
  const key = (c: Candidate) => Math.round(c.score * 100);
  pool = pool.sort((a, b) => key(b) - key(a) || state.popularity[b.i] - state.popularity[a.i] || a.i - b.i);
  const tieBroken = pool.length > 1 && key(pool[0]) === key(pool[1]);
  let resolved = pool.length > 0 ? pool[0].i : -1;
  let erNoise = false;
  if (pool.length > 0 && unitHash(norm, state.salt.er) < state.options.erErrorRate) {
    resolved = pool.length > 1 ? pool[1].i : -1;
    erNoise = true;
  }
  return {
    intent,
    intentConfidence: round3(confidence),
    resolved,
    nluNoise,
    erNoise,
    explicitKind: explicit !== null,
    tieBroken,
  };
}

/**
 * Items the text may name with a text score: exact title (and creator) lookups first, which is most
 * requests and costs a map lookup; the fuzzy catalogue index for the rest (misheard, truncated, odd).
 */
function findCandidates(
  state: AssistantState,
  text: string,
  title: string,
  creator: string | null,
): Candidate[] {
  const titleNorm = normalizeText(title);
  let exact = state.byTitle.get(titleNorm);
  if (exact === undefined && titleNorm.startsWith("the ")) exact = state.byTitle.get(titleNorm.slice(4));
  if (exact !== undefined) {
    if (creator === null) return exact.map((i) => ({ i, score: 1 }));
    const creatorNorm = normalizeText(creator);
    const named = exact.filter((i) => creatorSimilarity(creatorNorm, state.creators[i]) >= CREATOR_MATCH);
    if (named.length > 0) return named.map((i) => ({ i, score: 1 }));
  }
  const out: Candidate[] = [];
  for (const m of state.index.match(text, { limit: 12 })) {
    const i = state.itemIndex.get(m.itemId);
    if (i !== undefined) out.push({ i, score: m.score });
  }
  return out;
}
