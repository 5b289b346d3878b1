import {
  type AffinityModel,
  defaultTrainConfig,
  type TimedPlayTable,
  trainAffinityModel,
  userState,
} from "../affinity/affinity-model.js";
import { defaultBprOptions } from "../affinity/bpr.js";
import { ContextPriors } from "../context/context-priors.js";
import { contextObservations } from "../context/observations.js";
import {
  type ClassificationReport,
  classificationReport,
  type FailureBreakdown,
  FailurePointClassifier,
  failureBreakdown,
  ruleBaselineLabels,
  turnCatalogue,
} from "../failures/index.js";
import { CatalogueIndex } from "../matching/catalogue-index.js";
import { normalizeText } from "../matching/normalize.js";
import { parseRequest } from "../matching/request.js";
import { buildCatalogueView, type CatalogueView, type ServingItem } from "../serving/catalogue-view.js";
import {
  type CandidateAdjuster,
  type ResolveStrategy,
  rankCandidates,
  textCandidates,
} from "../serving/resolve.js";
import { defaultResolveBlend, type ResolveBlend } from "../serving/resolve-blend.js";
import { fitBlendOnHeldOutDays } from "../serving/resolve-fit.js";
import { simulateVoice, type VoiceWorld } from "../simulate/voice/index.js";
import { type TurnLabel, turnFromEvent, turnLabels, type VoiceTurn } from "../voice/turn.js";

/** Knobs of `evaluateVoiceContext`; every one has a default. */
export interface VoiceContextOptions {
  /** Seed of the simulated world and of every model trained on it (default 1). */
  seed?: number;
  /** Simulated users (default 700, the simulator's). */
  users?: number;
  /** Simulated days (default 28, the simulator's). */
  days?: number;
  /** The last days, held out for evaluation; models learn from the days before (default 7). */
  heldOutDays?: number;
  /**
   * The last days of the training side, held out to fit resolve's evidence-versus-prior weights (default 7):
   * an affinity model and context priors learned on the training days before them rank their turns, so the
   * weights are chosen on requests the model has not seen (the test days are never read for it).
   */
  blendFitDays?: number;
  /** Items of the underlying listening world (default 2000). */
  items?: number;
  /** Latent factors of the affinity model (default: the training default, 50). */
  factors?: number;
  /** BPR epochs of the affinity model (default: the training default, 40). */
  epochs?: number;
  /** Epochs of the failure-point classifier (default 20). */
  fpiEpochs?: number;
}

export const defaultVoiceContextOptions: Required<VoiceContextOptions> = {
  seed: 1,
  users: 700,
  days: 28,
  heldOutDays: 7,
  blendFitDays: 7,
  items: 2000,
  factors: defaultBprOptions.factors,
  epochs: defaultBprOptions.epochs,
  fpiEpochs: 20,
};

/** Top-1 accuracy of entity resolution on one set of held-out requests. */
export interface ResolutionAccuracy {
  /** Requests in the set. */
  cases: number;
  /** Personal ranking (text match + learned affinity) plus the learned context priors. */
  withContext: number;
  /** Personal ranking without context: what resolve did before issue 6. */
  withoutContext: number;
  /** Global popularity only (no personal taste, no context): the floor. */
  popularity: number;
  /** Popularity plus context priors: what context alone adds for a user the model does not know. */
  popularityWithContext: number;
}

/**
 * What `tastebud eval --context --json` prints. Key names are stable (the README documents them); shares
 * and F1 scores are rounded to 4 decimals.
 */
export interface VoiceContextReport {
  /** The simulated world and the day split. */
  world: {
    /** Seed of the world and of every model trained on it. */
    seed: number;
    users: number;
    /** Catalogue items: the listening world's plus the voice titles (books, movies, stations, ...). */
    items: number;
    /** Turns over all days: first requests, rephrases and false wakes. */
    turns: number;
    /** Plays started by those turns. */
    plays: number;
    days: number;
    /** Days 0..trainDays-1: the context priors, the affinity model and the classifier learn from them. */
    trainDays: number;
    /** The last heldOutDays days: everything below is measured on them. */
    heldOutDays: number;
    trainTurns: number;
    heldOutTurns: number;
    /** Training turns the context priors learned from: plays not barged in on and not cut short. */
    contextObservations: number;
    /** Multiplier of the summed context lifts, fitted by the priors (about 0.5: features overlap). */
    contextScale: number;
  };
  /**
   * Entity resolution of held-out first attempts (rephrases left out), ranked from the words the user
   * spoke (the simulator's truth, before ASR) so that ASR noise does not blur the comparison; a request is
   * resolved right when the top candidate is the item the user meant.
   */
  resolution: {
    /** The evidence-versus-prior weights, fitted on the last blendFitDays of the training side (see ResolveBlend). */
    blend: ResolveBlend;
    /**
     * The fit: its validation days and turns (training turns that went well, with two or more text
     * candidates), and the share of them the fitted blend and the prior alone resolved to the item played.
     */
    blendFit: { days: number; turns: number; accuracy: number; priorAccuracy: number };
    /** Requests for an item whose title other catalogue items share (book vs movie, the two "Hello"s). */
    ambiguous: ResolutionAccuracy;
    /** The ambiguous requests where an item of another kind shares the title ("The Hunger Games"). */
    crossKind: ResolutionAccuracy;
    /** The ambiguous requests where only items of the same kind share it (two songs called "Hello"). */
    sameKind: ResolutionAccuracy;
    /** Every held-out first attempt. */
    all: ResolutionAccuracy;
    /** The ambiguous requests made on a device with a screen, and without one. */
    byScreen: { screen: ResolutionAccuracy; noScreen: ResolutionAccuracy };
  };
  /** Failure point isolation of held-out turns: FALSE_WAKE, ASR, NLU, ER, RESULT or CORRECT. */
  failurePoints: {
    /** The learned classifier: confusion[truth][predicted] counts, per-class precision/recall/F1, macro-F1, accuracy. */
    classifier: ClassificationReport;
    /** The hand-written decision list over the same turn signals, reported the same way. */
    ruleBaseline: ClassificationReport;
    /** Macro-F1 (mean of the per-class F1 over the six labels) of both. */
    macroF1: { classifier: number; ruleBaseline: number };
    /** Per-label F1 of both, side by side. */
    f1ByClass: Record<string, { classifier: number; ruleBaseline: number }>;
  };
  /** Which stage fails most, overall, per intent and per device type, on held-out turns. */
  failures: {
    /** From the classifier's labels: what `tastebud failures` would report on these logs. */
    predicted: FailureBreakdown;
    /** From the simulator's truth: what it should report. */
    truth: FailureBreakdown;
  };
}

const DAY_MS = 86_400_000;

/** Progress of the evaluation's phases, for a CLI's progress bar. */
export type VoiceContextProgress = (phase: string, done: number, total: number) => void;

const PHASES = ["simulate", "context priors", "affinity model", "resolution", "failure points"] as const;

/**
 * Issue 6 measured end to end on the voice simulator: context priors, the affinity model and the
 * failure-point classifier learn from the first days; then held-out requests are resolved with and
 * without context, and held-out turns are labelled by the classifier and by the rule baseline. Pure
 * (no I/O) and deterministic for a seed.
 */
export function evaluateVoiceContext(
  options: VoiceContextOptions = {},
  onProgress?: VoiceContextProgress,
): VoiceContextReport {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...defaultVoiceContextOptions, ...defined } as Required<VoiceContextOptions>;
  if (!Number.isInteger(o.days) || o.days < 2) throw new RangeError("days must be a whole number >= 2");
  if (!Number.isInteger(o.heldOutDays) || o.heldOutDays < 1 || o.heldOutDays >= o.days)
    throw new RangeError("heldOutDays must be a whole number in [1, days)");
  if (!Number.isInteger(o.blendFitDays) || o.blendFitDays < 1 || o.blendFitDays >= o.days - o.heldOutDays)
    throw new RangeError("blendFitDays must be a whole number in [1, days - heldOutDays)");
  for (const k of ["factors", "epochs", "fpiEpochs"] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new RangeError(`${k} must be a positive whole number`);
  }
  const phase = (k: number) => onProgress?.(PHASES[k], k, PHASES.length);

  phase(0);
  const world = simulateVoice({ seed: o.seed, users: o.users, days: o.days, items: o.items });
  const trainDays = o.days - o.heldOutDays;
  const cutMs = Date.parse(world.startDate) + trainDays * DAY_MS;
  // Requests and truth are parallel and in time order, so both halves stay in time order.
  const turns = world.requests.map(turnFromEvent);
  const isTrain = turns.map((t) => t.timeMs < cutMs);
  const trainTurns = turns.filter((_, k) => isTrain[k]);
  const testTurns = turns.filter((_, k) => !isTrain[k]);
  const trainTruth = world.truth.filter((_, k) => isTrain[k]);
  const testTruth = world.truth.filter((_, k) => !isTrain[k]);

  phase(1);
  const catalogue = turnCatalogue(world.catalogue);
  const priors = ContextPriors.learn(contextObservations(trainTurns, catalogue.kindOf));

  phase(2);
  const trainRequests = new Set(trainTurns.map((t) => t.requestId));
  const model = trainOnPlays(world, trainRequests, o);
  const view = voiceWorldView(model, world);
  const fitted = fitBlendOnLaterDays(world, trainTurns, cutMs - o.blendFitDays * DAY_MS, o);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  const blendFit = {
    days: o.blendFitDays,
    turns: fitted.turns,
    accuracy: round(fitted.accuracy),
    priorAccuracy: round(fitted.priorAccuracy),
  };

  phase(3);
  const resolution = {
    ...resolutionAccuracy(world, testTurns, testTruth, model, view, priors, fitted.blend),
    blendFit,
  };

  phase(4);
  const classifier = FailurePointClassifier.train(
    trainTurns,
    trainTruth.map((t) => t.label),
    catalogue,
    { model: { epochs: o.fpiEpochs, seed: o.seed } },
  );
  const truthLabels: TurnLabel[] = testTruth.map((t) => t.label);
  const predicted = classifier.predict(testTurns, catalogue);
  const rules = ruleBaselineLabels(testTurns, catalogue);
  const cls = classificationReport(turnLabels, truthLabels, predicted);
  const base = classificationReport(turnLabels, truthLabels, rules);
  onProgress?.("done", PHASES.length, PHASES.length);

  return {
    world: {
      seed: o.seed,
      users: world.users.length,
      items: world.catalogue.length,
      turns: turns.length,
      plays: world.plays.length,
      days: o.days,
      trainDays,
      heldOutDays: o.heldOutDays,
      trainTurns: trainTurns.length,
      heldOutTurns: testTurns.length,
      contextObservations: priors.observations,
      contextScale: priors.scale,
    },
    resolution,
    failurePoints: {
      classifier: cls,
      ruleBaseline: base,
      macroF1: { classifier: cls.macroF1, ruleBaseline: base.macroF1 },
      f1ByClass: Object.fromEntries(
        turnLabels.map((l) => [l, { classifier: cls.perClass[l].f1, ruleBaseline: base.perClass[l].f1 }]),
      ),
    },
    failures: {
      predicted: failureBreakdown(testTurns, predicted),
      truth: failureBreakdown(testTurns, truthLabels),
    },
  };
}

/**
 * How much resolve trusts each user's evidence over the prior, fitted as `tastebud train` fits it
 * (fitBlendOnHeldOutDays): on the training turns from `fitCutMs` on, ranked by an affinity model, context
 * priors and replay counts of the training days before `fitCutMs` only.
 */
function fitBlendOnLaterDays(
  world: VoiceWorld,
  trainTurns: readonly VoiceTurn[],
  fitCutMs: number,
  o: Pick<Required<VoiceContextOptions>, "factors" | "epochs" | "seed" | "blendFitDays">,
): { blend: ResolveBlend; turns: number; accuracy: number; priorAccuracy: number } {
  const { plays, users, items } = voicePlayTable(world, new Set(trainTurns.map((t) => t.requestId)));
  const fit = fitBlendOnHeldOutDays({
    plays,
    turns: trainTurns,
    catalogue: voiceWorldCatalogue(world),
    rule: defaultTrainConfig.rule,
    fitCutMs,
    days: o.blendFitDays,
    train: (early) => trainAffinityModel(early, users, items, voiceTrainConfig(o)),
  });
  return fit ?? { blend: defaultResolveBlend, turns: 0, accuracy: 0, priorAccuracy: 0 };
}

/**
 * The affinity model on the plays of training turns. As in a store, it knows the users and items that
 * were played; the catalogue view serves the rest by the prior, as the engine does.
 */
/** The serving view of the voice world's catalogue for a model. */
export function voiceWorldView(model: AffinityModel, world: VoiceWorld): CatalogueView {
  return buildCatalogueView(model, voiceWorldCatalogue(world));
}

/** The voice world's catalogue as serving sees it. */
export function voiceWorldCatalogue(world: VoiceWorld): ServingItem[] {
  return world.catalogue.map((c) => ({
    id: c.id,
    title: c.title,
    creators: c.creators ?? [],
    kind: c.kind ?? "song",
    tags: c.tags ?? [],
  }));
}

/** The affinity model's settings in this evaluation. */
function voiceTrainConfig(o: Pick<Required<VoiceContextOptions>, "factors" | "epochs" | "seed">) {
  return {
    ...defaultTrainConfig,
    bpr: { ...defaultBprOptions, factors: o.factors, epochs: o.epochs, seed: o.seed },
  };
}

/** The affinity model of the plays that followed the given requests (the voice world's only plays). */
export function trainOnPlays(
  world: VoiceWorld,
  trainRequests: ReadonlySet<string>,
  o: Pick<Required<VoiceContextOptions>, "factors" | "epochs" | "seed">,
): AffinityModel {
  const { plays, users, items } = voicePlayTable(world, trainRequests);
  return trainAffinityModel(plays, users, items, voiceTrainConfig(o));
}

/** The plays that followed the given requests, as a table over the users and items that played. */
export function voicePlayTable(world: VoiceWorld, trainRequests: ReadonlySet<string>) {
  const rows = world.plays.filter((p) => p.requestId !== undefined && trainRequests.has(p.requestId));
  const users = [...new Set(rows.map((p) => p.user))].sort();
  const items = [...new Set(rows.map((p) => p.item))].sort();
  const userIndex = new Map(users.map((u, k) => [u, k]));
  const itemIndex = new Map(items.map((i, k) => [i, k]));
  const plays: TimedPlayTable = {
    nUsers: users.length,
    nItems: items.length,
    userIndex: Int32Array.from(rows, (p) => userIndex.get(p.user) ?? 0),
    itemIndex: Int32Array.from(rows, (p) => itemIndex.get(p.item) ?? 0),
    playedMs: Float64Array.from(rows, (p) => p.playedMs),
    itemLengthMs: Float64Array.from(rows, (p) => p.itemLengthMs ?? 0),
    weight: new Float64Array(rows.length).fill(Number.NaN),
    endTimeMs: Float64Array.from(rows, (p) => Date.parse(p.endTime)),
  };
  return { plays, users, items };
}

interface Tally {
  cases: number;
  withContext: number;
  withoutContext: number;
  popularity: number;
  popularityWithContext: number;
}

function emptyTally(): Tally {
  return { cases: 0, withContext: 0, withoutContext: 0, popularity: 0, popularityWithContext: 0 };
}

function accuracy(t: Tally): ResolutionAccuracy {
  const share = (x: number) => (t.cases ? Math.round((x / t.cases) * 1e4) / 1e4 : 0);
  return {
    cases: t.cases,
    withContext: share(t.withContext),
    withoutContext: share(t.withoutContext),
    popularity: share(t.popularity),
    popularityWithContext: share(t.popularityWithContext),
  };
}

function resolutionAccuracy(
  world: VoiceWorld,
  turns: readonly VoiceTurn[],
  truth: VoiceWorld["truth"],
  model: AffinityModel,
  view: CatalogueView,
  priors: ContextPriors,
  blend: ResolveBlend,
): Omit<VoiceContextReport["resolution"], "blendFit"> {
  const matcher = new CatalogueIndex(view.all);
  // Per title, the kinds of the items that carry it (one entry per item).
  const titleKinds = new Map<string, string[]>();
  for (const c of world.catalogue) {
    const key = normalizeText(c.title);
    const kinds = titleKinds.get(key) ?? [];
    kinds.push(c.kind ?? "song");
    titleKinds.set(key, kinds);
  }
  const itemOf = new Map(world.catalogue.map((c) => [c.id, c]));
  const userIndex = new Map(model.users.map((u, k) => [u, k]));
  const all = emptyTally();
  const ambiguous = emptyTally();
  const crossKind = emptyTally();
  const sameKind = emptyTally();
  const screen = emptyTally();
  const noScreen = emptyTally();
  for (let k = 0; k < turns.length; k++) {
    const t = turns[k];
    const intended = truth[k].intendedItem;
    if (truth[k].attempt !== 1 || intended === null) continue;
    const candidates = textCandidates(matcher, truth[k].spokenText);
    const u = userIndex.get(t.user);
    const user = u === undefined ? null : userState(model, u);
    // Mirrors Engine.resolve's context adjuster.
    const kindSaid = parseRequest(truth[k].spokenText).kindHint !== null;
    const context: CandidateAdjuster = (c) => {
      const { value, lifts } = priors.score(t.user, { kind: c.kind, item: c.item }, t.context, t.timeMs, {
        kindSaid,
      });
      return lifts.length === 0 ? null : { value, reasons: [] };
    };
    const top = (strategy: ResolveStrategy, adjusters: CandidateAdjuster[]) =>
      rankCandidates(model, view, user, candidates, strategy, () => 0, adjusters, blend)[0]?.item === intended
        ? 1
        : 0;
    const hit = {
      withContext: top("personal", [context]),
      withoutContext: top("personal", []),
      popularity: top("popularity", []),
      popularityWithContext: top("popularity", [context]),
    };
    const tallies = [all];
    const item = itemOf.get(intended);
    const kinds = item ? (titleKinds.get(normalizeText(item.title)) ?? []) : [];
    if (kinds.length > 1) {
      const other = kinds.some((kind) => kind !== (item?.kind ?? "song"));
      tallies.push(ambiguous, other ? crossKind : sameKind, t.context?.hasScreen ? screen : noScreen);
    }
    for (const tally of tallies) {
      tally.cases++;
      tally.withContext += hit.withContext;
      tally.withoutContext += hit.withoutContext;
      tally.popularity += hit.popularity;
      tally.popularityWithContext += hit.popularityWithContext;
    }
  }
  return {
    blend,
    ambiguous: accuracy(ambiguous),
    crossKind: accuracy(crossKind),
    sameKind: accuracy(sameKind),
    all: accuracy(all),
    byScreen: { screen: accuracy(screen), noScreen: accuracy(noScreen) },
  };
}
