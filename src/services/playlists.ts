import { mkdirSync, renameSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { SplitSettings } from "../config.js";
import type { TrainConfig } from "../core/affinity/affinity-model.js";
import { scoreUserItem } from "../core/affinity/affinity-model.js";
import {
  defaultPlaylistEvaluationConfig,
  evaluatePlaylists,
  type PlaylistEvaluationConfig,
  type PlaylistEvaluationProgress,
  type PlaylistEvaluationReport,
} from "../core/evaluation/playlists.js";
import { hasTimes, heldOutWithin, splitRandomPairs } from "../core/evaluation/split.js";
import {
  type BlendAttributes,
  type BlendPolicy,
  blendCandidates,
  blendPolicies,
  buildBlend,
  buildPlaylist,
  coListeningCreators,
  creatorVector,
  defaultBlendOptions,
  defaultFamiliar,
  defaultSelectOptions,
  describe,
  type ItemAdjustment,
  nearestRows,
  type PlaylistKind,
  type PlaylistSummary,
  type PoolDefinition,
  type PoolDefinitionInput,
  poolDefinitionSchema,
  rankPool,
  similarCreators,
  type TasteProfile,
  type TasteSpace,
  tasteMatch,
  tasteProfile,
  tasteSpaceOf,
  unit,
} from "../core/playlists/index.js";
import { intersectMasks, preferenceAdjustment, preferenceMasks } from "../core/preferences/index.js";
import { buildCatalogueView, filterMask, type ItemFilter } from "../core/serving/catalogue-view.js";
import { trueAffinity } from "../core/simulate/model.js";
import type { SimulationTruth } from "../core/simulate/types.js";
import { writeFileSynced } from "../pipeline/model-files.js";
import { splitStoredPlays } from "./affinity.js";
import type { ServiceContext } from "./context.js";
import type { PreferencesService } from "./preferences.js";
import { describeItem, round6, type ServingModel, userFor } from "./serving-model.js";

export interface PlaylistRequest {
  kind?: PlaylistKind;
  length?: number;
  /** Share of familiar tracks (default per kind: discover 0, mix 0.5, radio 0.3). */
  familiar?: number;
  /** Radio: play around this item. */
  seedItem?: string;
  /** Radio: play around this creator. */
  seedCreator?: string;
  artistCap?: number;
  diversity?: number;
  filter?: ItemFilter;
  /** When (default now): for taught preferences' scopes and expiry. */
  timeMs?: number;
  usePreferences?: boolean;
}

export interface PlaylistAnswer {
  user: string;
  kind: PlaylistKind;
  model: string;
  source: "personal" | "folded-in" | "popularity";
  seed?: string;
  tracks: Array<
    { item: string; title: string; creators: readonly string[]; kind: string } & {
      familiar: boolean;
      relevance: number;
      reason: string;
      preferences?: string[];
    }
  >;
  summary: PlaylistSummary;
}

export interface BlendRequest {
  length?: number;
  policy?: BlendPolicy;
  artistCap?: number;
  /** A track serves a member whose predicted affinity reaches this (default: each member's own bar, see BlendOptions). */
  relevantAt?: number;
  /** The Blend policy's weight of the other members (see BlendOptions.othersWeight). */
  othersWeight?: number;
  timeMs?: number;
}

export interface BlendAnswer {
  users: string[];
  model: string;
  policy: BlendPolicy;
  /** Mean pairwise cosine of the members' taste vectors. */
  tasteMatch: number;
  tracks: Array<
    { item: string; title: string; creators: readonly string[]; kind: string } & {
      for: string[];
      relevance: Record<string, number>;
    }
  >;
  attributes: BlendAttributes;
  /** The same attributes for every policy on the same candidates, to compare with the naive ones. */
  policies: Record<BlendPolicy, BlendAttributes>;
}

export interface PoolPlaylistAnswer {
  user: string;
  pool: { name: string; version: number };
  model: string;
  /** editor: the model does not know the user, so the editor's order stands. */
  source: "personal" | "folded-in" | "editor";
  tracks: Array<
    { item: string; title: string; creators: readonly string[]; kind: string } & {
      relevance?: number;
      placed: string;
      reason: string;
    }
  >;
  unknownItems: string[];
  unmet: string[];
}

function poolReason(pool: string, placed: string, plays: number | undefined): string {
  const pick = placed === "opener" ? `the opener of ${pool}` : `in ${pool}`;
  if (plays === undefined) return `${pick}; new to you`;
  return `${pick}; you played it ${plays === 1 ? "once" : `${plays} times`}`;
}

/** File in the models folder with the weights `eval --playlists --save-weights` chose on validation. */
export const PLAYLIST_WEIGHTS_FILE = "playlist-weights.json";

const playlistWeightsSchema = z.object({
  /** MMR diversity weight of personal playlists. */
  diversity: z.number().min(0).max(1),
  /** The Blend policy's weight of the other members. */
  othersWeight: z.number().min(0).max(1),
  /** The evaluation that chose them: its command, when, and the validation criteria. */
  chosenBy: z.string(),
  at: z.string(),
});
export type PlaylistWeights = z.infer<typeof playlistWeightsSchema>;

/** Thrown for a request the playlists cannot serve (unknown seed, bad numbers): a 400, not a crash. */
export class PlaylistRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlaylistRequestError";
  }
}

/**
 * Taste space and playlists: similar creators and listeners, taste profiles, and personal playlists
 * (discover, mix, radio) from the current model in memory, with taught preferences applied.
 */
export class PlaylistsService {
  private weightsLoaded: Promise<PlaylistWeights | null> | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly preferences: PreferencesService,
  ) {}

  /**
   * The weights chosen on validation and saved in the models folder (read once), or null: then the
   * hand-set defaults apply. A malformed file is an error naming it, not a silent fallback.
   */
  weights(): Promise<PlaylistWeights | null> {
    this.weightsLoaded ??= (async () => {
      const path = join(this.ctx.modelsDir, PLAYLIST_WEIGHTS_FILE);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw e;
      }
      const parsed = playlistWeightsSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`${path}: field ${issue.path.join(".") || "(file)"}: ${issue.message}`);
      }
      return parsed.data;
    })();
    return this.weightsLoaded;
  }

  /** Saves weights an evaluation chose (atomically) for this service and every later one on the folder. */
  saveWeights(weights: PlaylistWeights): void {
    mkdirSync(this.ctx.modelsDir, { recursive: true });
    const path = join(this.ctx.modelsDir, PLAYLIST_WEIGHTS_FILE);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSynced(tmp, `${JSON.stringify(playlistWeightsSchema.parse(weights), null, 2)}\n`);
    renameSync(tmp, path);
    this.weightsLoaded = Promise.resolve(weights);
  }

  private async space(): Promise<{ current: ServingModel; space: TasteSpace }> {
    const current = await this.ctx.models.require();
    return { current, space: tasteSpaceOf(current.model, current.view.byModelIndex) };
  }

  /** A personal playlist of `length` tracks (see buildPlaylist), each with the reason it is there. */
  async forUser(user: string, request: PlaylistRequest = {}): Promise<PlaylistAnswer> {
    const { current, space } = await this.space();
    const kind = request.kind ?? "mix";
    const length = request.length ?? 30;
    const familiar = request.familiar ?? defaultFamiliar[kind];
    checkRange("length", length, 1, 500, true);
    checkRange("familiar", familiar, 0, 1);
    const seed = kind === "radio" ? this.seedOf(current, space, request) : undefined;
    if (kind !== "radio" && (request.seedItem || request.seedCreator))
      throw new PlaylistRequestError("a seed item or creator makes a radio playlist: use kind radio");
    const state = userFor(current, user);
    const now = request.timeMs ?? Date.now();
    const { allow, adjust } = await this.preferenceFilter(
      current,
      user,
      request.filter,
      now,
      request.usePreferences,
    );
    const playlist = buildPlaylist(
      {
        model: current.model,
        space,
        catalogue: current.view.byModelIndex,
        user: state,
        kind,
        seed,
        topN: current.topN,
        allow,
        adjust,
      },
      {
        length,
        familiar,
        artistCap: request.artistCap ?? defaultSelectOptions.artistCap,
        diversity: request.diversity ?? (await this.weights())?.diversity ?? defaultSelectOptions.diversity,
      },
    );
    return {
      user,
      kind,
      model: current.manifest.version,
      source: state ? state.source : "popularity",
      ...(seed ? { seed: seed.label } : {}),
      tracks: playlist.tracks.map((t) =>
        describeItem(current, t.index, {
          familiar: t.familiar,
          relevance: round6(t.relevance),
          reason: t.reason,
          ...(t.preferences.length ? { preferences: t.preferences } : {}),
        }),
      ) as PlaylistAnswer["tracks"],
      summary: roundSummary(playlist.summary),
    };
  }

  /**
   * One playlist for several listeners (see buildBlend): each track says whose taste it serves, and the
   * answer gives the Blend attributes of this policy and of the two naive ones beside it. Every member's
   * "never" and dislikes leave tracks out for all.
   */
  async blend(users: readonly string[], request: BlendRequest = {}): Promise<BlendAnswer> {
    const { current, space } = await this.space();
    const members = [...new Set(users)];
    if (members.length < 2) throw new PlaylistRequestError("a Blend needs at least two different users");
    if (members.length > 10) throw new PlaylistRequestError("a Blend takes at most 10 users");
    const length = request.length ?? 30;
    checkRange("length", length, 1, 500, true);
    const states = members.map((user) => {
      const state = userFor(current, user);
      if (!state) throw new PlaylistRequestError(`unknown user ${user}: a Blend needs every member's plays`);
      return state;
    });
    const now = request.timeMs ?? Date.now();
    let allow: Uint8Array | null = null;
    for (const user of members) {
      const facts = await this.preferences.factsFor(user);
      if (facts.length)
        allow = intersectMasks(allow, preferenceMasks(current.view.byModelIndex, facts, now).allow);
    }
    const input = blendCandidates(current.model, space, states, Math.max(4 * length, 100), {
      topN: current.topN,
      allow,
    });
    const options = {
      length,
      artistCap: request.artistCap ?? defaultBlendOptions.artistCap,
      relevantAt: request.relevantAt ?? defaultBlendOptions.relevantAt,
      othersWeight:
        request.othersWeight ?? (await this.weights())?.othersWeight ?? defaultBlendOptions.othersWeight,
    };
    const policy = request.policy ?? "blend";
    const result = buildBlend(input, policy, options);
    const compared = Object.fromEntries(
      blendPolicies.map((p) => [
        p,
        roundAttributes(p === policy ? result.attributes : buildBlend(input, p, options).attributes),
      ]),
    ) as Record<BlendPolicy, BlendAttributes>;
    return {
      users: members,
      model: current.manifest.version,
      policy,
      tasteMatch: round6(tasteMatch(states.map((s) => s.vector))),
      tracks: result.order.map((c, k) =>
        describeItem(current, input.candidates[c], {
          for: result.serves[k].map((m) => members[m]),
          relevance: Object.fromEntries(members.map((u, m) => [u, round6(input.relevance[m][c])])),
        }),
      ) as BlendAnswer["tracks"],
      attributes: compared[policy],
      policies: compared,
    };
  }

  /**
   * `tastebud eval --playlists`: playlists and Blends from a model trained on the split's training side,
   * judged on each user's held-out long plays, against the popularity and own-top baselines; the MMR and
   * Blend weights chosen on validation plays cut from the training side (see evaluatePlaylists). Given a
   * simulator's truth, also the true affinities of what each list holds.
   */
  async evaluate(
    split: SplitSettings,
    train: TrainConfig,
    options: Partial<Omit<PlaylistEvaluationConfig, "train" | "truth">> & {
      truth?: SimulationTruth;
      onProgress?: PlaylistEvaluationProgress;
      /** Judge on each listener's held-out plays within this many days of their cut only (timed plays). */
      horizonDays?: number;
    } = {},
  ): Promise<PlaylistEvaluationReport> {
    const { truth, onProgress, horizonDays, ...overrides } = options;
    // Default: each user's latest 20% held out; plays without times (Last.fm counts) cannot be cut in time,
    // so their (user, item) pairs are cut at random instead. A time split asked for on such plays is refused.
    const given = Object.values(split).some((v) => v !== undefined);
    const loaded = await splitStoredPlays(
      this.ctx.store,
      given ? split : { splitPerUser: 0.8 },
      train.bpr.seed,
    );
    const { plays, users, items } = loaded;
    let cut = loaded.cut;
    if (!hasTimes(plays)) {
      if (!given) cut = splitRandomPairs(plays, 0.8, train.bpr.seed);
      else if (split.splitRandom === undefined)
        throw new PlaylistRequestError(
          "the stored plays carry no times (all at one instant, as Last.fm's counts), so a time split cannot " +
            "cut them: use --split-random 0.8 (or no split option)",
        );
    }
    if (horizonDays !== undefined) {
      if (!hasTimes(plays))
        throw new PlaylistRequestError(
          "the stored plays carry no times, so held-out plays cannot be limited to days after a cut: drop --horizon-days",
        );
      cut = heldOutWithin(plays, cut, horizonDays);
    }
    const catalogue = buildCatalogueView({ items }, await this.ctx.store.getItems()).byModelIndex;
    let judgeTruth: PlaylistEvaluationConfig["truth"];
    let itemTraits: PlaylistEvaluationConfig["itemTraits"];
    if (truth) {
      const tu = new Map(truth.users.map((u, k) => [u, k]));
      const ti = new Map(truth.items.map((i, k) => [i, k]));
      judgeTruth = (user, item) => {
        const u = tu.get(user);
        const i = ti.get(item);
        return u === undefined || i === undefined ? null : trueAffinity({ truth }, u, i);
      };
      itemTraits = {
        dim: truth.dim,
        of: (item) => {
          const i = ti.get(item);
          return i === undefined ? null : truth.itemFactors.subarray(i * truth.dim, (i + 1) * truth.dim);
        },
      };
    }
    return evaluatePlaylists(
      plays,
      users,
      items,
      catalogue,
      cut,
      { ...defaultPlaylistEvaluationConfig, ...overrides, train, truth: judgeTruth, itemTraits },
      onProgress,
    );
  }

  /** Stores a new version of an editor's pool (validated); says which listed items the model does not know. */
  async addPool(name: string, definition: PoolDefinitionInput, nowMs = Date.now()) {
    if (!/^[\w.-]{1,100}$/.test(name))
      throw new PlaylistRequestError(`pool name "${name}": use 1-100 letters, digits, '.', '-' or '_'`);
    const parsed = poolDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new PlaylistRequestError(
        `pool ${name}, field ${issue.path.join(".") || "(definition)"}: ${issue.message}`,
      );
    }
    const record = await this.ctx.store.addPool({ name, createdAtMs: nowMs, definition: parsed.data });
    const current = await this.ctx.models.current();
    const unknownItems = current ? parsed.data.items.filter((id) => !current.itemIndex.has(id)) : [];
    return { ...record, definition: parsed.data, unknownItems };
  }

  /** The latest version of every pool. */
  async listPools(): Promise<
    Array<{ name: string; version: number; createdAt: string; definition: PoolDefinition }>
  > {
    return (await this.ctx.store.listPools()).map((r) => ({
      name: r.name,
      version: r.version,
      createdAt: new Date(r.createdAtMs).toISOString(),
      definition: poolDefinitionSchema.parse(r.definition),
    }));
  }

  async removePool(name: string): Promise<boolean> {
    return this.ctx.store.removePool(name);
  }

  /**
   * A pool's playlist for one user: the editor's candidates ranked by the user's affinity under the pool's
   * rules (an unknown user gets the editor's order); their taught preferences leave tracks out.
   */
  async fromPool(user: string, name: string, request: { timeMs?: number } = {}): Promise<PoolPlaylistAnswer> {
    const current = await this.ctx.models.require();
    const [record] = await this.ctx.store.listPools(name);
    if (!record) throw new PlaylistRequestError(`no pool named ${name}: see tastebud pools list`);
    const def = poolDefinitionSchema.parse(record.definition);
    const state = userFor(current, user);
    const { allow } = await this.preferenceFilter(current, user, undefined, request.timeMs ?? Date.now());
    const ranked = rankPool(
      def,
      { items: current.view.byModelIndex, popularity: current.model.popularity },
      current.itemIndex,
      state ? (i) => scoreUserItem(current.model, state, i).affinity : null,
      allow,
    );
    const played = new Map<number, number>();
    for (let c = 0; state && c < state.items.length; c++) played.set(state.items[c], state.count[c]);
    return {
      user,
      pool: { name: record.name, version: record.version },
      model: current.manifest.version,
      source: state ? state.source : "editor",
      tracks: ranked.order.map((i, k) =>
        describeItem(current, i, {
          ...(state ? { relevance: round6(scoreUserItem(current.model, state, i).affinity) } : {}),
          placed: ranked.placed[k],
          reason: poolReason(record.name, ranked.placed[k], played.get(i)),
        }),
      ) as PoolPlaylistAnswer["tracks"],
      unknownItems: ranked.unknownItems,
      unmet: ranked.unmet,
    };
  }

  /** Creators closest to this one in the taste space, and by the co-listening baseline. */
  async similarCreators(name: string, options: { n?: number } = {}) {
    const { current, space } = await this.space();
    const c = this.creatorOf(space, name);
    const n = options.n ?? 10;
    const list = (xs: Array<{ index: number; similarity: number }>) =>
      xs.map((x) => ({
        creator: space.creators[x.index],
        similarity: round6(x.similarity),
        plays: space.creatorPlays[x.index],
      }));
    return {
      creator: space.creators[c],
      model: current.manifest.version,
      creators: list(similarCreators(space, c, n)),
      coListening: list(coListeningCreators(space, current.model.history, c, n)),
    };
  }

  /** Listeners whose taste vectors point the same way as this one's. */
  async similarUsers(user: string, options: { n?: number } = {}) {
    const current = await this.ctx.models.require();
    const state = userFor(current, user);
    if (!state)
      throw new PlaylistRequestError(`unknown user ${user}: the model has no taste vector for them`);
    const { factors, nUsers, userFactors } = current.model.factors;
    const self = current.userIndex.get(user) ?? -1;
    const near = nearestRows(
      userFactors.subarray(0, nUsers * factors),
      factors,
      unit(state.vector),
      options.n ?? 10,
      (r) => r === self,
    );
    return {
      user,
      model: current.manifest.version,
      users: near.map((x) => ({ user: current.model.users[x.index], similarity: round6(x.similarity) })),
    };
  }

  /** Who and what the user likes most, and how adventurous they are. */
  async profile(user: string): Promise<{ user: string; model: string } & TasteProfile> {
    const current = await this.ctx.models.require();
    const state = userFor(current, user);
    if (!state) throw new PlaylistRequestError(`unknown user ${user}: no plays in the served model`);
    const p = tasteProfile(state, current.view.byModelIndex, current.model.history);
    return {
      user,
      model: current.manifest.version,
      ...p,
      adventurous: round6(p.adventurous),
      landed: round6(p.landed),
    };
  }

  private creatorOf(space: TasteSpace, name: string): number {
    const exact = space.creatorIndex.get(name);
    if (exact !== undefined) return exact;
    const folded = name.toLowerCase();
    const at = space.creators.findIndex((c) => c.toLowerCase() === folded);
    if (at < 0)
      throw new PlaylistRequestError(`unknown creator ${name}: no item of the served model is by them`);
    return at;
  }

  private seedOf(current: ServingModel, space: TasteSpace, request: PlaylistRequest) {
    if (request.seedItem && request.seedCreator)
      throw new PlaylistRequestError("give a seed item or a seed creator, not both");
    if (request.seedItem) {
      const i = current.itemIndex.get(request.seedItem);
      if (i === undefined) throw new PlaylistRequestError(`unknown seed item ${request.seedItem}`);
      const vector = space.unitItems.slice(i * space.dim, (i + 1) * space.dim);
      return { vector, item: i, label: describe(current.view.byModelIndex, current.model, i) };
    }
    if (request.seedCreator) {
      const c = this.creatorOf(space, request.seedCreator);
      return { vector: creatorVector(space, c), label: space.creators[c] };
    }
    throw new PlaylistRequestError("a radio playlist needs a seed item or a seed creator");
  }

  /** The request's filter and the user's taught preferences as an allow mask and a per-item verdict. */
  private async preferenceFilter(
    current: ServingModel,
    user: string,
    filter: ItemFilter | undefined,
    now: number,
    usePreferences = true,
  ): Promise<{ allow: Uint8Array | null; adjust?: (i: number) => ItemAdjustment | null }> {
    const allow = filterMask(current.view, filter);
    const facts = usePreferences ? await this.preferences.factsFor(user) : [];
    if (facts.length === 0) return { allow };
    const masks = preferenceMasks(current.view.byModelIndex, facts, now);
    return {
      allow: intersectMasks(allow, masks.allow),
      adjust: (i) => {
        const item = current.view.byModelIndex[i];
        if (!item) return null;
        const a = preferenceAdjustment(item, facts, now);
        return a.applied.length ? { excluded: a.excluded, boost: a.boost, reasons: a.reasons } : null;
      },
    };
  }
}

function checkRange(field: string, value: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(value) || value < lo || value > hi || (integer && !Number.isInteger(value)))
    throw new PlaylistRequestError(
      `${field} must be ${integer ? "a whole number " : ""}from ${lo} to ${hi}, got ${value}`,
    );
}

function roundAttributes(a: BlendAttributes): BlendAttributes {
  return {
    relevance: a.relevance.map(round6),
    joy: round6(a.joy),
    worstMember: round6(a.worstMember),
    equal: round6(a.equal),
    democratic: round6(a.democratic),
    coherent: round6(a.coherent),
  };
}

function roundSummary(s: PlaylistSummary): PlaylistSummary {
  return {
    ...s,
    familiarShare: round6(s.familiarShare),
    diversity: round6(s.diversity),
    coherence: round6(s.coherence),
    coherenceUnordered: round6(s.coherenceUnordered),
    artistCoverage: round6(s.artistCoverage),
  };
}
