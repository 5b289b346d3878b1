/**
 * The dashboard's only way to the engine: the documented HTTP API (the OpenAPI document at /openapi.json).
 * Every call sends the key the person typed into the header field (kept in this browser): writes always
 * need the API key, and reads need a key (the read key or the API key) when the server is on a public address.
 */

import type { HomeEvidence, HomeReport } from "../services/home-types.js";
import type {
  DailyRequests,
  EvaluationRecord,
  Overview as InsightsOverview,
  ItemMap,
  UserHistory,
} from "../services/insights-types.js";
import type { ServingReport, SwapView } from "../services/serving-report-types.js";

export type { DailyRequests, EvaluationRecord, HomeEvidence, HomeReport, ItemMap, SwapView };

/** GET /v1/serving: the serving report and the serving thread's event-loop delay in /metrics' open window. */
export type ServingView = ServingReport & {
  eventLoop: { maxSeconds: number; p99Seconds: number; windowStartedAt: string };
};
export type HistoryPlay = UserHistory["plays"][number];
/** GET /v1/overview: the insights overview and the running training job. */
export type Overview = InsightsOverview & { job: JobView | null };

const keyStorage = "tastebud.apiKey";

export function apiKey(): string {
  return localStorage.getItem(keyStorage) ?? "";
}

export function setApiKey(key: string): void {
  if (key) localStorage.setItem(keyStorage, key);
  else localStorage.removeItem(keyStorage);
}

/** An error answer of the API (its `error` code and message), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, "network", `cannot reach the server (${(err as Error).message})`);
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, json?.error ?? "error", json?.message ?? res.statusText);
  return json as T;
}

const get = <T>(path: string) => call<T>("GET", path);
const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
};
const u = encodeURIComponent;

export interface JobView {
  id: string;
  status: string;
  progress: { phase: string; done: number; total: number };
  result?: { version: string; plays: number; seconds: number };
  error?: string;
}

export interface RecommendedItem {
  item: string;
  title: string;
  creators: string[];
  kind: string;
  affinity: number;
  score: number;
  preferences?: string[];
  context?: { value: number; detail: string };
}

export interface Recommendations {
  user: string;
  model: string;
  source: string;
  items: RecommendedItem[];
  preferences?: Array<{ factId: string; effect: string; items: number; reason: string }>;
}

export interface Explanation {
  user: string;
  item: string;
  source: string;
  affinity: number;
  history: { plays: number; mean: number };
  mf: number | null;
  becauseOf: Array<{ item: string; similarity: number; history: number; pull: number }>;
}

export interface Preference {
  id: string;
  description: string;
  active: boolean;
}

export interface Candidate {
  item: string;
  title: string;
  creators: string[];
  kind: string;
  score: number;
  confidence: number;
  textScore: number;
  affinity: number | null;
  source: string;
  excluded?: boolean;
  reasons: Array<{ factor: string; value: number; detail: string }>;
}

export interface Resolution {
  user: string;
  request: string;
  model: string;
  source: string;
  rewritten: { from: string; to: string; by: string } | null;
  candidates: Candidate[];
  blocked: Candidate[];
}

export interface ResolveContext {
  deviceType?: string;
  hasScreen?: boolean;
  deviceState?: string;
  activity?: string;
}

export interface Rewrites {
  version: string | null;
  rules: Array<{
    source: string;
    rewrite: string;
    support: number;
    gain: number;
    rewriteSuccess: number;
    meaning?: string;
  }>;
  /** Strongest routes the meaning check refused, and how each changed the meaning. */
  refused: Array<{
    source: string;
    rewrite: string;
    reason: string;
    pathUsers: number;
    rewriteSuccess: number;
    sourceDirectSuccess: number;
  }>;
  monitor: Array<{
    source: string;
    rewrite: string;
    state: string;
    pWin: number;
    rewrittenSuccess: number;
    originalSuccess: number;
    requests: number;
  }>;
}

type Breakdown = Record<string, { turns: number; failureRate: number; stages: Record<string, number> }>;

export interface FailureReport {
  turns: number;
  failures: number;
  byStage: Record<string, number>;
  byIntent: Breakdown;
  byDevice: Breakdown;
  worstStage: string | null;
  classifier: string;
}

// The answers below mirror the API's JSON (its zod schemas in src/server/routes/*-schemas.ts) rather than
// importing core types: the browser build type-checks only src/web and the insights types, not core's
// Node and wasm code.

/** A listed item as the API gives it (id, title, creators, kind). */
export interface ListedItem {
  item: string;
  title: string;
  creators: string[];
  kind: string;
}

export interface WeightedName {
  name: string;
  weight: number;
  items: number;
}

/** GET /v1/users/{id}/taste */
export interface TasteProfile {
  user: string;
  model: string;
  plays: number;
  items: number;
  liked: number;
  topCreators: WeightedName[];
  topTags: WeightedName[];
  adventurous: number;
  landed: number;
  adventurousPercentile: number | null;
}

export type PlaylistKind = "discover" | "mix" | "radio";

/** GET /v1/users/{id}/playlist */
export interface Playlist {
  user: string;
  kind: PlaylistKind;
  model: string;
  source: string;
  seed?: string;
  tracks: Array<
    ListedItem & { familiar: boolean; relevance: number; reason: string; preferences?: string[] }
  >;
  summary: {
    familiarShare: number;
    diversity: number;
    coherence: number;
    coherenceUnordered: number;
    artistCoverage: number;
    maxPerArtist: number;
    capped: number;
    shortfall: { familiar: number; new: number };
  };
}

export interface SimilarCreator {
  creator: string;
  similarity: number;
  plays: number;
}

/** GET /v1/creators/{name}/similar */
export interface SimilarCreators {
  creator: string;
  model: string;
  creators: SimilarCreator[];
  coListening: SimilarCreator[];
}

export const blendPolicies = ["blend", "alternating", "mean"] as const;
export type BlendPolicy = (typeof blendPolicies)[number];

export interface BlendAttributes {
  relevance: number[];
  joy: number;
  worstMember: number;
  equal: number;
  democratic: number;
  coherent: number;
}

/** GET /v1/blend */
export interface Blend {
  users: string[];
  model: string;
  policy: BlendPolicy;
  tasteMatch: number;
  tracks: Array<ListedItem & { for: string[]; relevance: Record<string, number> }>;
  attributes: BlendAttributes;
  policies: Record<BlendPolicy, BlendAttributes>;
}

/** GET /v1/pools: the latest version of every editor's pool. */
export interface Pools {
  pools: Array<{ name: string; version: number; createdAt: string; definition: unknown }>;
}

/** GET /v1/pools/{name}/playlist: a pool ranked for one listener under its rules. */
export interface PoolPlaylist {
  user: string;
  pool: { name: string; version: number };
  model: string;
  source: "personal" | "folded-in" | "editor";
  tracks: Array<ListedItem & { relevance?: number; placed: string; reason: string }>;
  unknownItems: string[];
  unmet: string[];
}

/** GET /v1/privacy (services/privacy.ts PrivacyReport). */
export interface PrivacyReport {
  mode: {
    mechanism: string;
    epsilon: number;
    cap: number | null;
    overBudget: string;
    oov: string;
    table: { words: number; dimensions: number };
  } | null;
  ledger: {
    users: number;
    total: number;
    median: number;
    max: number;
    top: Array<{ user: string; spent: number }>;
  };
}

/** Quantiles of a distribution over words, as `tastebud privacy stats` reports them. */
export interface Quantiles {
  min: number;
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
  max: number;
  mean: number;
}

/** One row of a deniability evaluation record (kind "deniability"): N_w and S_w at one ε, or why not run. */
export type DeniabilityRow =
  | {
      mechanism: string;
      epsilon: number;
      draws: number;
      words: number;
      unchanged: Quantiles;
      distinct: Quantiles;
    }
  | { mechanism: string; epsilon: number; error: string };

/** GET /v1/items/{id}/next: what follows an item in the directed model, with reasons. */
export interface NextItems {
  item: string;
  model: string;
  items: Array<{
    item: string;
    title: string;
    creators: string[];
    score: number;
    reasons: Array<{ factor: "edge" | "two-step" | "learned"; detail: string }>;
  }>;
}

/** GET /v1/items/{id}/similar: the symmetric view (items liked by the same listeners). */
export interface SimilarItems {
  item: string;
  model: string;
  items: Array<ListedItem & { similarity?: number | null }>;
}

export const api = {
  health: () => get<{ model: string | null; events: number; training: boolean }>("/healthz"),
  overview: () => get<Overview>("/v1/overview"),
  serving: () => get<ServingView>("/v1/serving"),
  job: (id: string) => get<JobView>(`/v1/jobs/${u(id)}`),
  train: () => call<{ job: { id: string; status: string } }>("POST", "/v1/train", {}),
  history: (user: string, limit = 50) => get<UserHistory>(`/v1/users/${u(user)}/history${q({ limit })}`),
  recommendations: (user: string, n = 10) =>
    get<Recommendations>(`/v1/users/${u(user)}/recommendations${q({ n })}`),
  explain: (user: string, item: string) => get<Explanation>(`/v1/users/${u(user)}/explain${q({ item })}`),
  taste: (user: string) => get<TasteProfile>(`/v1/users/${u(user)}/taste`),
  playlist: (user: string, kind: PlaylistKind, length = 20, seedCreator?: string) =>
    get<Playlist>(`/v1/users/${u(user)}/playlist${q({ kind, length, seedCreator })}`),
  similarCreators: (creator: string, n = 10) =>
    get<SimilarCreators>(`/v1/creators/${u(creator)}/similar${q({ n })}`),
  blend: (users: string[], length = 20, policy: BlendPolicy = "blend") =>
    get<Blend>(`/v1/blend${q({ users: users.join(","), length, policy })}`),
  pools: () => get<Pools>("/v1/pools"),
  poolPlaylist: (name: string, user: string) =>
    get<PoolPlaylist>(`/v1/pools/${u(name)}/playlist${q({ user })}`),
  homeReport: (arms = 30) => get<HomeReport>(`/v1/home/report${q({ arms })}`),
  homeEvidence: () => get<HomeEvidence>("/v1/home/evidence"),
  privacy: (top = 30) => get<PrivacyReport>(`/v1/privacy${q({ top })}`),
  next: (item: string, n = 12) => get<NextItems>(`/v1/items/${u(item)}/next${q({ n })}`),
  similarItems: (item: string, n = 12) => get<SimilarItems>(`/v1/items/${u(item)}/similar${q({ n })}`),
  similarUsers: (user: string, n = 8) =>
    get<{ users: Array<{ user: string; similarity: number }> }>(`/v1/users/${u(user)}/similar${q({ n })}`),
  preferences: (user: string) => get<{ preferences: Preference[] }>(`/v1/users/${u(user)}/preferences`),
  teach: (user: string, text: string) =>
    call<{ facts: Preference[] }>("POST", `/v1/users/${u(user)}/preferences`, { text }),
  forget: (user: string, factId: string) =>
    call<unknown>("DELETE", `/v1/users/${u(user)}/preferences/${u(factId)}`),
  resolve: (body: {
    user: string;
    request: string;
    context?: ResolveContext;
    time?: string;
    limit?: number;
  }) => call<Resolution>("POST", "/v1/resolve", body),
  itemMap: (limit = 1500) => get<ItemMap>(`/v1/items/map${q({ limit })}`),
  evaluations: (kind?: string) => get<{ evaluations: EvaluationRecord[] }>(`/v1/evaluations${q({ kind })}`),
  rewrites: () => get<Rewrites>("/v1/rewrites"),
  daily: () => get<DailyRequests>("/v1/requests/daily"),
  failures: () => get<FailureReport>("/v1/requests/failures"),
};
