import {
  BudgetLedger,
  type OverBudgetPolicy,
  overBudgetPolicies,
  WITHHELD_TEXT,
} from "../core/privacy/budget.js";
import type { EmbeddingTable } from "../core/privacy/embeddings.js";
import { type IvfIndex, IvfNearestWord } from "../core/privacy/ivf.js";
import {
  DEFAULT_EXPANSION_SEARCH,
  ExactNearestWord,
  IndexedNearestWord,
  type MechanismName,
  MultivariateLaplace,
  mechanismNames,
  type NearestWord,
  TruncatedGumbel,
  type WordMechanism,
} from "../core/privacy/mechanisms.js";
import { emptyIndex, type HnswIndex, type Neighbourhoods } from "../core/privacy/neighbours.js";
import {
  OOV_PLACEHOLDER,
  type OutOfVocabularyPolicy,
  outOfVocabularyPolicies,
  perturbText,
  vocabularyTokens,
} from "../core/privacy/text.js";
import { Random } from "../core/random.js";
import {
  defaultEmbeddingPath,
  loadNeighbourhoods,
  type NeighbourhoodFileOptions,
  readEmbeddingFile,
} from "../pipeline/privacy-files.js";
import type { RequestEvent } from "../schema/events.js";
import type { EventStore, PrivacyLedgerSummary } from "../store/event-store.js";

/** `--privacy epsilon=E,mechanism=gumbel,cap=C,over=refuse,oov=placeholder,table=path,seed=S`. */
export interface PrivacyModeOptions {
  epsilon: number;
  mechanism: MechanismName;
  /** Per-user cap on total ε spent on stored text (default: no cap). */
  cap: number;
  overBudget: OverBudgetPolicy;
  oov: OutOfVocabularyPolicy;
  /** GloVe/word2vec text file (default: the shipped GloVe 50-d 10k table). */
  table?: string;
  /** Seed of the perturbation draws (default: the clock; a fixed seed is for tests and reproductions). */
  seed?: number;
}

export class PrivacyOptionError extends Error {}

export function parsePrivacyMode(spec: string): PrivacyModeOptions {
  const fields = new Map<string, string>();
  for (const part of spec.split(",")) {
    const [key, ...rest] = part.split("=");
    if (!key.trim() || rest.length === 0)
      throw new PrivacyOptionError(
        `--privacy: "${part}" is not key=value (e.g. epsilon=10,mechanism=gumbel)`,
      );
    fields.set(key.trim(), rest.join("=").trim());
  }
  const known = ["epsilon", "mechanism", "cap", "over", "oov", "table", "seed"];
  for (const key of fields.keys())
    if (!known.includes(key))
      throw new PrivacyOptionError(`--privacy: unknown key "${key}" (known: ${known.join(", ")})`);
  const number = (key: string, fallback?: number): number => {
    const raw = fields.get(key);
    if (raw === undefined) {
      if (fallback === undefined) throw new PrivacyOptionError(`--privacy: ${key}= is required`);
      return fallback;
    }
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0)
      throw new PrivacyOptionError(`--privacy: ${key} must be a positive number, got "${raw}"`);
    return v;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const raw = fields.get(key) ?? fallback;
    if (!allowed.includes(raw as T))
      throw new PrivacyOptionError(`--privacy: ${key} must be one of ${allowed.join(", ")}, got "${raw}"`);
    return raw as T;
  };
  const seed = fields.get("seed");
  return {
    epsilon: number("epsilon"),
    mechanism: oneOf("mechanism", mechanismNames, "gumbel"),
    cap: number("cap", Number.POSITIVE_INFINITY),
    overBudget: oneOf("over", overBudgetPolicies, "refuse"),
    oov: oneOf("oov", outOfVocabularyPolicies, "placeholder"),
    ...(fields.has("table") ? { table: fields.get("table") } : {}),
    ...(seed !== undefined ? { seed: number("seed") } : {}),
  };
}

export const nearestWordSearches = ["indexed", "exact"] as const;
export type NearestWordSearch = (typeof nearestWordSearches)[number];

/**
 * An embedding table with its neighbourhoods (all rows cached beside a small table; rows on first use from
 * a saved HNSW index for a large one) and, once a Laplace mechanism asks, its HNSW nearest-word index.
 */
export class PrivacyTable {
  private nearest: NearestWord | null = null;
  private exact: ExactNearestWord | null = null;

  private constructor(
    readonly path: string,
    readonly table: EmbeddingTable,
    readonly neighbourhoods: Neighbourhoods,
    /** Whether the neighbourhoods (or, for a large table, its index and Δ) came from the cache. */
    readonly cached: boolean,
    /** The saved HNSW index of a large table, which the Laplace search views at its own breadth. */
    private readonly indexPath: string | null,
    /** Seconds per step of opening: read (parse and hash), then the neighbourhood steps. */
    readonly openSeconds: Record<string, number>,
    /** A large table's IVF index (the default large-table path), searched by Laplace. */
    readonly ivf: IvfIndex | null = null,
  ) {}

  static async open(
    path = defaultEmbeddingPath(),
    options: NeighbourhoodFileOptions = {},
  ): Promise<PrivacyTable> {
    const t = performance.now();
    const file = await readEmbeddingFile(path);
    const read = Math.round(performance.now() - t) / 1000;
    const opened = loadNeighbourhoods(path, file, options);
    return new PrivacyTable(
      path,
      file.table,
      opened.neighbourhoods,
      opened.cached,
      opened.indexPath,
      { read, ...opened.seconds },
      opened.ivf ?? null,
    );
  }

  /**
   * `search` picks Laplace's nearest-word rule: the HNSW index (what privacy mode serves) or the exact scan,
   * which evaluations use to measure what the approximation costs; Gumbel searches no vectors.
   */
  mechanism(name: MechanismName, epsilon: number, search: NearestWordSearch = "indexed"): WordMechanism {
    if (name === "gumbel") return new TruncatedGumbel(this.table, this.neighbourhoods, epsilon);
    if (search === "exact") {
      this.exact ??= new ExactNearestWord(this.table);
      return new MultivariateLaplace(this.table, this.exact, epsilon);
    }
    this.nearest ??= this.ivf
      ? new IvfNearestWord(this.ivf)
      : new IndexedNearestWord(this.table, 0, DEFAULT_EXPANSION_SEARCH, this.savedIndex());
    return new MultivariateLaplace(this.table, this.nearest, epsilon);
  }

  /** The large table's saved index viewed at Laplace's breadth (a memory map, no build), if there is one. */
  private savedIndex(): HnswIndex | undefined {
    if (!this.indexPath) return undefined;
    const index = emptyIndex(this.table.dimensions, DEFAULT_EXPANSION_SEARCH);
    try {
      index.view(this.indexPath);
    } catch {
      return undefined;
    }
    return index.size() === this.table.size ? index : undefined;
  }
}

export interface RefusedRequest {
  /** Position in the batch given. */
  index: number;
  requestId: string;
  user: string;
  reason: string;
}

/**
 * Privacy mode: request text is perturbed word by word before it reaches the store (or anything else that
 * is written: the rejects file gets no raw text either), and every user's spent ε is kept in the store's
 * ledger. The spend is recorded before the perturbed requests are stored, so a crash in between can only
 * over-count a user's spending, never under-count it; a re-sent request is charged again for the same
 * reason.
 */
export class PrivacyService {
  private readonly mechanism: WordMechanism;
  private readonly rng: Random;

  constructor(
    private readonly store: EventStore,
    readonly options: PrivacyModeOptions,
    readonly privacyTable: PrivacyTable,
  ) {
    this.mechanism = privacyTable.mechanism(options.mechanism, options.epsilon);
    this.rng = new Random(options.seed ?? Date.now() >>> 0);
  }

  static async open(store: EventStore, options: PrivacyModeOptions): Promise<PrivacyService> {
    return new PrivacyService(store, options, await PrivacyTable.open(options.table));
  }

  /** One perturbed draw of a text under the configured mechanism and out-of-vocabulary policy. */
  perturb(text: string): string {
    const out = perturbText(text, this.privacyTable.table, this.mechanism, this.rng, this.options.oov).text;
    // The schema wants non-empty text; a request of dropped words keeps one placeholder.
    return out.length ? out : OOV_PLACEHOLDER;
  }

  /** What storing this request's text costs: ε per vocabulary word of its text and rewrittenFrom. */
  cost(event: RequestEvent): number {
    const table = this.privacyTable.table;
    const words =
      vocabularyTokens(event.text, table) +
      (event.rewrittenFrom ? vocabularyTokens(event.rewrittenFrom, table) : 0);
    return words * this.options.epsilon;
  }

  /**
   * Charges each request to its user's budget in order and returns what may be stored: perturbed text
   * within budget, withheld text or a refusal past it. Call under the store lock so batches charge in turn.
   */
  async protect(
    events: readonly RequestEvent[],
  ): Promise<{ events: RequestEvent[]; refused: RefusedRequest[] }> {
    const spent = await this.store.privacySpent(events.map((e) => e.user));
    const ledger = new BudgetLedger({ cap: this.options.cap, overBudget: this.options.overBudget }, spent);
    const kept: RequestEvent[] = [];
    const refused: RefusedRequest[] = [];
    events.forEach((event, index) => {
      const decision = ledger.charge(event.user, this.cost(event));
      if (decision.kind === "refuse") {
        refused.push({
          index,
          requestId: event.requestId,
          user: event.user,
          reason: `privacy budget exhausted: user has spent ε = ${round(decision.spentAfter)} of the cap ${this.options.cap}; this request would bring it to ${round(decision.wouldSpend)}`,
        });
        return;
      }
      const { rewrittenFrom, ...rest } = event;
      if (decision.kind === "withhold") {
        kept.push({ ...rest, text: WITHHELD_TEXT });
        return;
      }
      kept.push({
        ...rest,
        text: this.perturb(event.text),
        ...(rewrittenFrom !== undefined ? { rewrittenFrom: this.perturb(rewrittenFrom) } : {}),
      });
    });
    await this.store.addPrivacySpent(ledger.increments());
    return { events: kept, refused };
  }

  /** Spent ε per user, as the ledger holds it. */
  spent(users: readonly string[]): Promise<Map<string, number>> {
    return this.store.privacySpent(users);
  }
}

/** Privacy mode as the server runs it (null when request text is stored as given), and the ledger. */
export interface PrivacyReport {
  mode: {
    mechanism: MechanismName;
    epsilon: number;
    /** Per-user cap on spent ε; null when there is none. */
    cap: number | null;
    overBudget: OverBudgetPolicy;
    oov: OutOfVocabularyPolicy;
    table: { words: number; dimensions: number };
  } | null;
  /** The ledger is kept in the store: it also shows what earlier runs in privacy mode spent. */
  ledger: PrivacyLedgerSummary;
}

export async function privacyReport(
  store: EventStore,
  privacy: PrivacyService | null,
  top = 50,
): Promise<PrivacyReport> {
  const o = privacy?.options;
  return {
    mode:
      privacy && o
        ? {
            mechanism: o.mechanism,
            epsilon: o.epsilon,
            cap: Number.isFinite(o.cap) ? o.cap : null,
            overBudget: o.overBudget,
            oov: o.oov,
            table: {
              words: privacy.privacyTable.table.size,
              dimensions: privacy.privacyTable.table.dimensions,
            },
          }
        : null,
    ledger: await store.privacyLedger(top),
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
