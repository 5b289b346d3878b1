import {
  type AffinityModel,
  type TimedPlayTable,
  type TrainConfig,
  trainAffinityModel,
  type UserState,
  userState,
} from "../affinity/affinity-model.js";
import { countsAsLong } from "../affinity/cells.js";
import { ndcgAtK } from "../metrics/ranking.js";
import {
  artistSpread,
  type BlendPolicy,
  blendCandidates,
  blendPolicies,
  buildBlend,
  buildPlaylist,
  type CreatorSimilarityReport,
  compareCreatorSimilarity,
  defaultBlendOptions,
  defaultSelectOptions,
  intraListDiversity,
  type TasteItem,
  type TasteSpace,
  tasteSpaceOf,
} from "../playlists/index.js";
import { Random } from "../random.js";
import { hasTimes, type Split, splitAtPerUserQuantile, splitRandomPairs, subsetPlays } from "./split.js";

/**
 * `tastebud eval --playlists` (issue 15): playlists and Blends judged on each user's held-out plays. The
 * model is trained on the training side; a playlist "hits" a held-out long play when the track is in it.
 * The two hand-set weights (the MMR diversity weight of personal playlists, the Blend policy's weight of
 * the other members) are chosen on validation plays cut from the training side (each user's latest
 * `validationShare` of their training plays, with a model trained on the rest), never on the test side.
 */
export interface PlaylistEvaluationConfig {
  train: TrainConfig;
  length: number;
  /** Candidate MMR diversity weights (see SelectOptions.diversity). */
  diversityGrid: number[];
  /** Candidate Blend weights of the other members (see BlendOptions.othersWeight). */
  othersWeightGrid: number[];
  /** Share of each user's training plays (their latest) held out for validation. */
  validationShare: number;
  /** Listeners evaluated (a seeded sample of those with held-out long plays). */
  maxUsers: number;
  /** Blend groups of each size (2 and 3): every group when there are few listeners, else a seeded sample. */
  maxGroups: number;
  seed: number;
  /** The simulator's true affinity of a (user, item) by id, or null where unknown. */
  truth?: (user: string, item: string) => number | null;
  /** The simulator's true trait vectors of items by id (null where unknown): judges similar creators. */
  itemTraits?: { dim: number; of: (item: string) => ArrayLike<number> | null };
}

export const defaultPlaylistEvaluationConfig: Omit<PlaylistEvaluationConfig, "train"> = {
  length: 30,
  diversityGrid: [0, 0.15, 0.3, 0.5],
  othersWeightGrid: [0, 0.25, 0.5, 0.75, 1],
  validationShare: 0.2,
  maxUsers: 200,
  maxGroups: 60,
  seed: 1,
};

/** Mean over listeners of one playlist kind's figures. */
export interface ListMetrics {
  /** Share of listeners with at least one held-out long play among the tracks. */
  hitRate: number;
  /** Share of tracks played long in the held-out plays. */
  precision: number;
  /** NDCG over the playlist's length, binary relevance = played long in the held-out plays. */
  ndcg: number;
  /** Share of tracks both new to the listener and played long in the held-out plays: discoveries made. */
  newHits: number;
  familiarShare: number;
  /** 1 − mean pairwise cosine in the taste space. */
  diversity: number;
  /** Distinct artists per track. */
  artistCoverage: number;
  /** Mean true affinity of the tracks (simulator only). */
  trueAffinity?: number;
  /** The same over the tracks new to the listener (simulator only). */
  trueAffinityNew?: number;
}

export interface BlendPolicyMetrics {
  /** Predicted (the model's) Blend attributes, means over groups. */
  joy: number;
  worstMember: number;
  equal: number;
  democratic: number;
  coherent: number;
  /** Per member, the share of the Blend's tracks they played long in their held-out plays: mean over members and groups. */
  heldOutMean: number;
  /** The least-served member's held-out share, mean over groups. */
  heldOutWorst: number;
  /** True mean affinity over members, and of the worst-off member (simulator only). */
  trueJoy?: number;
  trueWorst?: number;
}

export interface WeightChoice {
  grid: number[];
  /** The validation criterion per grid value. */
  values: number[];
  chosen: number;
  handSet: number;
  criterion: string;
}

export interface PlaylistEvaluationReport {
  split: { train: number; test: number; validation: number; users: number; heldOutLongPlays: number };
  length: number;
  selection: { diversity: WeightChoice; othersWeight: WeightChoice };
  playlists: Record<"discover" | "mix" | "popularity" | "popularNew" | "ownTop", ListMetrics>;
  blend: Array<{ members: number; groups: number; policies: Record<BlendPolicy, BlendPolicyMetrics> }>;
  /**
   * Given the simulator's item traits: similar creators by the test model's taste space against the
   * co-listening baseline, both judged against the creators truly alike (compareCreatorSimilarity).
   */
  creators?: CreatorSimilarityReport;
}

export type PlaylistEvaluationProgress = (phase: string, done: number, total: number) => void;

/** Raised when the plays cannot be judged at all; the message says why and what to do. */
export class PlaylistEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlaylistEvaluationError";
  }
}

/**
 * Per user, the items they played long on one side of a split. Plays with an explicit weight (Last.fm's
 * play counts, which have no durations) count as long when the weight is positive, as in training.
 */
function longPlays(plays: TimedPlayTable, config: TrainConfig): Set<number>[] {
  const out = Array.from({ length: plays.nUsers }, () => new Set<number>());
  for (let r = 0; r < plays.userIndex.length; r++)
    if (countsAsLong(config.rule, plays.playedMs[r], plays.itemLengthMs[r], plays.weight[r]))
      out[plays.userIndex[r]].add(plays.itemIndex[r]);
  return out;
}

/** What one trained model and one held-out side need to build and judge playlists. */
interface Judge {
  model: AffinityModel;
  catalogue: ReadonlyArray<TasteItem | null>;
  space: TasteSpace;
  states: Array<UserState | null>;
  heldOut: Set<number>[];
  users: number[];
}

function judgeOn(
  train: TimedPlayTable,
  heldOutSide: TimedPlayTable,
  users: string[],
  items: string[],
  catalogue: ReadonlyArray<TasteItem | null>,
  config: PlaylistEvaluationConfig,
  onProgress: PlaylistEvaluationProgress | undefined,
  phase: string,
): Judge {
  const model = trainAffinityModel(train, users, items, config.train, (p, done, total) =>
    onProgress?.(`${phase}: train ${p}`, done, total),
  );
  const space = tasteSpaceOf(model, catalogue);
  const heldOut = longPlays(heldOutSide, config.train);
  const states = users.map((_, u) =>
    model.history.rowPtr[u + 1] > model.history.rowPtr[u] ? userState(model, u) : null,
  );
  const eligible = users.map((_, u) => u).filter((u) => states[u] !== null && heldOut[u].size > 0);
  const sample = new Random(config.seed).shuffle(eligible).slice(0, config.maxUsers);
  return { model, catalogue, space, states, heldOut, users: sample.sort((a, b) => a - b) };
}

/** Each summed figure divided by how many were summed (0 for none). */
function meansOf<T extends Record<string, number>>(sums: T, count: number): T {
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, count)])) as T;
}

function listMetrics(
  lists: Array<{ user: number; tracks: number[] }>,
  judge: Judge,
  ids: { users: string[]; items: string[] },
  truth: PlaylistEvaluationConfig["truth"],
): ListMetrics {
  const sums = {
    hitRate: 0,
    precision: 0,
    ndcg: 0,
    newHits: 0,
    familiarShare: 0,
    diversity: 0,
    artistCoverage: 0,
  };
  let trueSum = 0;
  let trueCount = 0;
  let trueNewSum = 0;
  let trueNewCount = 0;
  for (const { user, tracks } of lists) {
    const held = judge.heldOut[user];
    const known = new Set(judge.states[user]?.items ?? []);
    let hits = 0;
    let fresh = 0;
    let familiar = 0;
    for (const i of tracks) {
      const isKnown = known.has(i);
      if (isKnown) familiar++;
      if (held.has(i)) {
        hits++;
        if (!isKnown) fresh++;
      }
      const t = truth?.(ids.users[user], ids.items[i]);
      if (t !== undefined && t !== null) {
        trueSum += t;
        trueCount++;
        if (!isKnown) {
          trueNewSum += t;
          trueNewCount++;
        }
      }
    }
    const n = Math.max(1, tracks.length);
    sums.hitRate += hits > 0 ? 1 : 0;
    sums.precision += hits / n;
    sums.ndcg += tracks.length ? ndcgAtK(tracks, held, tracks.length) : 0;
    sums.newHits += fresh / n;
    sums.familiarShare += familiar / n;
    sums.diversity += intraListDiversity(tracks, judge.space);
    sums.artistCoverage += artistSpread(tracks, judge.space).coverage;
  }
  const out: ListMetrics = meansOf(sums, lists.length);
  if (trueCount) out.trueAffinity = trueSum / trueCount;
  if (trueNewCount) out.trueAffinityNew = trueNewSum / trueNewCount;
  return out;
}

function personal(judge: Judge, user: number, kind: "discover" | "mix", length: number, diversity: number) {
  const state = judge.states[user];
  const playlist = buildPlaylist(
    { model: judge.model, space: judge.space, catalogue: judge.catalogue, user: state, kind },
    {
      ...defaultSelectOptions,
      length,
      familiar: kind === "discover" ? 0 : 0.5,
      diversity,
    },
  );
  return playlist.tracks.map((t) => t.index);
}

/** Groups of `size` listeners: every one when there are at most `max`, else `max` distinct seeded draws. */
function groupsOf(users: readonly number[], size: number, max: number, seed: number): number[][] {
  let count = 1;
  for (let k = 0; k < size; k++) count = (count * (users.length - k)) / (k + 1);
  if (count <= max) {
    const all: number[][] = [];
    const walk = (from: number, group: number[]) => {
      if (group.length === size) all.push(group);
      else for (let k = from; k < users.length; k++) walk(k + 1, [...group, users[k]]);
    };
    walk(0, []);
    return all;
  }
  const rng = new Random(seed);
  const seen = new Set<string>();
  const out: number[][] = [];
  for (let tries = 0; out.length < max && tries < max * 20; tries++) {
    const group = new Set<number>();
    while (group.size < size) group.add(users[rng.int(users.length)]);
    const sorted = [...group].sort((a, b) => a - b);
    const key = sorted.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(sorted);
  }
  return out;
}

function blendMetrics(
  judge: Judge,
  groups: number[][],
  policy: BlendPolicy,
  othersWeight: number,
  length: number,
  ids: { users: string[]; items: string[] },
  truth: PlaylistEvaluationConfig["truth"],
): BlendPolicyMetrics {
  const sums = {
    joy: 0,
    worstMember: 0,
    equal: 0,
    democratic: 0,
    coherent: 0,
    heldOutMean: 0,
    heldOutWorst: 0,
  };
  let trueJoy = 0;
  let trueWorst = 0;
  let trueGroups = 0;
  for (const group of groups) {
    const states = group.map((u) => judge.states[u] as UserState);
    const input = blendCandidates(judge.model, judge.space, states, Math.max(4 * length, 100));
    const result = buildBlend(input, policy, { ...defaultBlendOptions, length, othersWeight });
    const a = result.attributes;
    sums.joy += a.joy;
    sums.worstMember += a.worstMember;
    sums.equal += a.equal;
    sums.democratic += a.democratic;
    sums.coherent += a.coherent;
    const tracks = result.order.map((c) => input.candidates[c]);
    const n = Math.max(1, tracks.length);
    const shares = group.map((u) => tracks.filter((i) => judge.heldOut[u].has(i)).length / n);
    sums.heldOutMean += shares.reduce((x, y) => x + y, 0) / shares.length;
    sums.heldOutWorst += Math.min(...shares);
    if (truth) {
      const perMember = group.map((u) => {
        const ts = tracks
          .map((i) => truth(ids.users[u], ids.items[i]))
          .filter((t): t is number => t !== null);
        return ts.length ? ts.reduce((x, y) => x + y, 0) / ts.length : Number.NaN;
      });
      if (perMember.every(Number.isFinite)) {
        trueJoy += perMember.reduce((x, y) => x + y, 0) / perMember.length;
        trueWorst += Math.min(...perMember);
        trueGroups++;
      }
    }
  }
  const out: BlendPolicyMetrics = meansOf(sums, groups.length);
  if (trueGroups) {
    out.trueJoy = trueJoy / trueGroups;
    out.trueWorst = trueWorst / trueGroups;
  }
  return out;
}

/** The grid value with the best criterion; exact ties keep the hand-set value when it is among them. */
function choose(grid: number[], values: number[], handSet: number): number {
  const best = Math.max(...values);
  const tied = grid.filter((_, k) => values[k] >= best - 1e-12);
  return tied.includes(handSet) ? handSet : tied[0];
}

export function evaluatePlaylists(
  plays: TimedPlayTable,
  users: string[],
  items: string[],
  catalogue: ReadonlyArray<TasteItem | null>,
  split: Split,
  config: PlaylistEvaluationConfig,
  onProgress?: PlaylistEvaluationProgress,
): PlaylistEvaluationReport {
  const ids = { users, items };
  // Every figure below is a share of long plays: with none anywhere they would all be 0 (or 0/0), which
  // reads as a result. Say so instead.
  let judged = 0;
  for (let r = 0; r < plays.userIndex.length && judged === 0; r++)
    if (countsAsLong(config.train.rule, plays.playedMs[r], plays.itemLengthMs[r], plays.weight[r])) judged++;
  if (judged === 0)
    throw new PlaylistEvaluationError(
      `none of the ${plays.userIndex.length} plays in the store is a long play (played at least ` +
        `${config.train.rule.thresholdMs / 1000} s, or with a positive play count): nobody has judged any ` +
        "item, so playlists cannot be evaluated; ingest plays with durations or counts",
    );
  const train = subsetPlays(plays, split.isTrain, 1);
  const test = subsetPlays(plays, split.isTrain, 0);
  if (train.userIndex.length === 0 || test.userIndex.length === 0)
    throw new PlaylistEvaluationError(
      `the split leaves ${train.userIndex.length} plays to train on and ${test.userIndex.length} held out: ` +
        (hasTimes(plays)
          ? "choose another split"
          : "the plays carry no times (e.g. Last.fm counts), so cut them at random with --split-random 0.8"),
    );
  const L = config.length;

  // Validation, inside the training side only: each user's latest plays, or, when the plays carry no
  // times (Last.fm), a seeded random share of the (user, item) pairs.
  const inner = hasTimes(train)
    ? splitAtPerUserQuantile(train, 1 - config.validationShare)
    : splitRandomPairs(train, 1 - config.validationShare, config.seed);
  const validation = judgeOn(
    subsetPlays(train, inner.isTrain, 1),
    subsetPlays(train, inner.isTrain, 0),
    users,
    items,
    catalogue,
    config,
    onProgress,
    "validation",
  );
  const diversityValues = config.diversityGrid.map((d, k) => {
    onProgress?.("validation: diversity", k, config.diversityGrid.length);
    let s = 0;
    for (const u of validation.users)
      for (const kind of ["discover", "mix"] as const)
        s += ndcgAtK(personal(validation, u, kind, L, d), validation.heldOut[u], L);
    return s / Math.max(1, 2 * validation.users.length);
  });
  const validationGroups = [2, 3].flatMap((size) =>
    groupsOf(validation.users, size, config.maxGroups, config.seed + size),
  );
  const weightValues = config.othersWeightGrid.map((w, k) => {
    onProgress?.("validation: blend weight", k, config.othersWeightGrid.length);
    const m = blendMetrics(validation, validationGroups, "blend", w, L, ids, undefined);
    // The worst-off member first (a Blend must serve everyone), the mean as a tie-break.
    return m.heldOutWorst + 1e-3 * m.heldOutMean;
  });
  const diversity = choose(config.diversityGrid, diversityValues, defaultSelectOptions.diversity);
  const othersWeight = choose(config.othersWeightGrid, weightValues, defaultBlendOptions.othersWeight);

  // Test: the model trained on the whole training side, with the chosen weights.
  const judge = judgeOn(train, test, users, items, catalogue, config, onProgress, "test");
  const popular = Array.from(judge.model.popularity.keys()).sort(
    (a, b) => judge.model.popularity[b] - judge.model.popularity[a] || a - b,
  );
  const lists = (make: (u: number) => number[]) => judge.users.map((user) => ({ user, tracks: make(user) }));
  onProgress?.("test: playlists", 0, 1);
  const playlists = {
    discover: listMetrics(
      lists((u) => personal(judge, u, "discover", L, diversity)),
      judge,
      ids,
      config.truth,
    ),
    mix: listMetrics(
      lists((u) => personal(judge, u, "mix", L, diversity)),
      judge,
      ids,
      config.truth,
    ),
    popularity: listMetrics(
      lists(() => popular.slice(0, L)),
      judge,
      ids,
      config.truth,
    ),
    popularNew: listMetrics(
      lists((u) => {
        const known = new Set(judge.states[u]?.items ?? []);
        return popular.filter((i) => !known.has(i)).slice(0, L);
      }),
      judge,
      ids,
      config.truth,
    ),
    ownTop: listMetrics(
      lists((u) => {
        const s = judge.states[u] as UserState;
        const cells = Array.from(s.items.keys()).sort(
          (a, b) => s.count[b] - s.count[a] || s.sum[b] - s.sum[a],
        );
        return cells.slice(0, L).map((c) => s.items[c]);
      }),
      judge,
      ids,
      config.truth,
    ),
  };
  const blend = [2, 3].map((size) => {
    onProgress?.(`test: blends of ${size}`, 0, 1);
    const groups = groupsOf(judge.users, size, config.maxGroups, config.seed + size);
    return {
      members: size,
      groups: groups.length,
      policies: Object.fromEntries(
        blendPolicies.map((p) => [p, blendMetrics(judge, groups, p, othersWeight, L, ids, config.truth)]),
      ) as Record<BlendPolicy, BlendPolicyMetrics>,
    };
  });
  let heldOutLongPlays = 0;
  for (const u of judge.users) heldOutLongPlays += judge.heldOut[u].size;
  let creators: CreatorSimilarityReport | undefined;
  if (config.itemTraits) {
    const { dim, of } = config.itemTraits;
    const traits = new Float32Array(judge.model.items.length * dim).fill(Number.NaN);
    judge.model.items.forEach((id, i) => {
      const t = of(id);
      if (t) traits.set(t, i * dim);
    });
    creators = compareCreatorSimilarity(judge.space, judge.model.history, traits, dim);
  }
  return {
    split: {
      train: train.userIndex.length,
      test: test.userIndex.length,
      validation: subsetPlays(train, inner.isTrain, 0).userIndex.length,
      users: judge.users.length,
      heldOutLongPlays,
    },
    length: L,
    selection: {
      diversity: {
        grid: config.diversityGrid,
        values: diversityValues,
        chosen: diversity,
        handSet: defaultSelectOptions.diversity,
        criterion: "mean validation NDCG of discover and mix playlists",
      },
      othersWeight: {
        grid: config.othersWeightGrid,
        values: weightValues,
        chosen: othersWeight,
        handSet: defaultBlendOptions.othersWeight,
        criterion: "validation held-out share of the worst-off member (pairs and trios), mean as tie-break",
      },
    },
    playlists,
    blend,
    ...(creators ? { creators } : {}),
  };
}
