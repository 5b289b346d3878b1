import type { SplitSettings } from "../config.js";
import { type TrainConfig, trainAffinityModel } from "../core/affinity/affinity-model.js";
import { type ContextPriors, describeLifts } from "../core/context/index.js";
import type { EvaluationProgress } from "../core/evaluation/evaluate.js";
import {
  evaluateResolution,
  type ResolutionCase,
  type ResolutionReport,
} from "../core/evaluation/resolution.js";
import { subsetPlays } from "../core/evaluation/split.js";
import {
  type FailureBreakdown,
  type FailurePointClassifier,
  failureBreakdown,
  turnCatalogue,
} from "../core/failures/index.js";
import { CatalogueIndex, parseRequest } from "../core/matching/index.js";
import { adjustResolvedCandidates } from "../core/preferences/index.js";
import { buildCatalogueView } from "../core/serving/catalogue-view.js";
import type { ServeSource } from "../core/serving/recommend.js";
import {
  type CandidateAdjuster,
  type ResolvedCandidate,
  type ResolveStrategy,
  rankCandidates,
  seededDraw,
  textCandidates,
} from "../core/serving/resolve.js";
import {
  type ResolveDecision,
  resolveDecision,
  resolveUncertainty,
} from "../core/serving/resolve-decision.js";
import type { SimulationTruth } from "../core/simulate/types.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { trainSimulatedFailureClassifierOffThread } from "../pipeline/failure-classifier.js";
import type { PlayContext } from "../schema/events.js";
import { splitStoredPlays } from "./affinity.js";
import type { ServiceContext } from "./context.js";
import { DecisionPolicies } from "./decision-policies.js";
import { type PreferencesService, preferenceContext } from "./preferences.js";
import type { AppliedRewrite, RewritesService } from "./rewrites.js";
import { itemOf, round6, userFor } from "./serving-model.js";

export interface ResolveOptions {
  /** Rank these item ids instead of searching the catalogue. */
  candidates?: string[];
  limit?: number;
  /** "personal" (default); "popularity" and "random" are the baselines the evaluation compares with. */
  strategy?: ResolveStrategy;
  /** Seed of the "random" strategy's draws (default 0): the same request and seed rank the same way. */
  seed?: number;
  /** Where the request was made; learned context priors weigh the candidates' kinds and items. */
  context?: PlayContext;
  /** When the request was made (default now), for time of day and day of week. */
  timeMs?: number;
  /** false ranks without context priors (the evaluation's baseline). */
  useContext?: boolean;
  /** false ignores the user's taught preferences. */
  usePreferences?: boolean;
  /** false resolves the text as given, without the rewrite table or the online rewriter. */
  rewrite?: boolean;
  /** Play the top candidate only when it is right with at least this probability, else ask (default 0.9). */
  minPrecision?: number;
}

export interface ResolveAnswer {
  user: string;
  request: string;
  model: string;
  source: ServeSource;
  /** How the request was rewritten before resolution (by: markov, global or personal); null = not rewritten. */
  rewritten: null | AppliedRewrite;
  candidates: ResolvedCandidate[];
  /** Candidates a taught "never" rules out even when named; an application may ask "play it anyway?". */
  blocked: ResolvedCandidate[];
  /** Play the top candidate, or ask which one was meant (see core/serving/resolve-decision.ts). */
  decision: ResolveDecision;
  /** When asking: the candidates in order, as a question ("Hello by Adele or Hello by Lionel Richie?"). */
  question: string | null;
  /** What decided: thresholds fitted on (confidence, uncertainty) for this P*, or confidence >= P*. */
  decisionBasis: { minPrecision: number; uncertainty: number; thresholds: "fitted" | "confidence" };
}

/** Voice requests: what "play hello" means for this user, how well that works, and where the pipeline fails. */
export class VoiceService {
  private readonly decisionPolicies = new DecisionPolicies();
  /** The simulated failure-point classifier per seed, trained once per process off the serving thread. */
  private readonly simulatedClassifiers = new Map<number, Promise<FailurePointClassifier>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly rewrites: RewritesService,
    private readonly preferences: PreferencesService,
  ) {}

  /**
   * Ranks the candidate entities for a free-text request ("play hello by adele"), or for the given
   * candidate ids, by text match and then this user's affinity; each with a confidence and its reasons.
   */
  async resolve(user: string, request: string, options: ResolveOptions = {}): Promise<ResolveAnswer> {
    const current = await this.ctx.models.require();
    const state = userFor(current, user);
    const now = options.timeMs ?? Date.now();
    const rewritten =
      options.rewrite !== false ? await this.rewrites.rewriteFor(user, request, now, options.context) : null;
    const text = rewritten ? rewritten.to : request;
    const candidates = textCandidates(current.matcher, text, options.candidates, options.limit ?? 10);
    const adjusters: CandidateAdjuster[] = [];
    if (options.context && current.contextPriors && options.useContext !== false) {
      const kindSaid = parseRequest(text).kindHint !== null;
      adjusters.push(contextAdjuster(current.contextPriors, user, options.context, now, kindSaid));
    }
    const contextRanked = rankCandidates(
      current.model,
      current.view,
      state,
      candidates,
      options.strategy ?? "personal",
      seededDraw(options.seed ?? 0),
      adjusters,
      current.resolveBlend,
    );
    const facts = options.usePreferences === false ? [] : await this.preferences.factsFor(user);
    const { candidates: ranked, blocked } = facts.length
      ? adjustResolvedCandidates(contextRanked, (id) => itemOf(current, id), facts, now, {
          request: text,
          context: preferenceContext(options.context),
        })
      : { candidates: contextRanked, blocked: [] };
    const minPrecision = options.minPrecision ?? 0.9;
    const uncertainty = resolveUncertainty(current.view, state, ranked);
    const thresholds = (await this.decisionPolicies.load(this.ctx.modelsDir))[String(minPrecision)];
    const decision = resolveDecision(ranked, uncertainty, minPrecision, thresholds);
    return {
      user,
      request,
      model: current.manifest.version,
      source: state?.source ?? "popularity",
      rewritten,
      candidates: ranked,
      blocked,
      decision,
      question: decision === "ask" ? askWhich(ranked) : null,
      decisionBasis: {
        minPrecision,
        uncertainty: round6(uncertainty),
        thresholds: thresholds ? "fitted" : "confidence",
      },
    };
  }

  /**
   * Resolution accuracy on held-out requests: train on the training side of the split, then resolve each
   * later request and check the top candidate against what was meant (the simulator's truth when given,
   * else the item the user went on to play).
   */
  async evaluateResolution(
    split: SplitSettings,
    config: TrainConfig,
    options: { truth?: SimulationTruth; onProgress?: EvaluationProgress } = {},
  ): Promise<ResolutionReport> {
    const { store } = this.ctx;
    const { plays, users, items, cut } = await splitStoredPlays(store, split, config.bpr.seed);
    const train = subsetPlays(plays, cut.isTrain, 1);
    const model = trainAffinityModel(train, users, items, config, (phase, done, total) =>
      options.onProgress?.(`train ${phase}`, done, total),
    );
    // A request is held out when it comes at or after its user's first held-out play.
    const firstHeldOut = new Map<string, number>();
    for (let r = 0; r < cut.isTrain.length; r++) {
      if (cut.isTrain[r]) continue;
      const user = users[plays.userIndex[r]];
      const t = plays.endTimeMs[r];
      if (t < (firstHeldOut.get(user) ?? Number.POSITIVE_INFINITY)) firstHeldOut.set(user, t);
    }
    const intended = new Map((options.truth?.requests ?? []).map((q) => [q.eventId, q.intendedItem]));
    const cases: ResolutionCase[] = [];
    for (const row of await store.scanPlayRequests()) {
      if (row.endTimeMs < (firstHeldOut.get(row.user) ?? Number.POSITIVE_INFINITY)) continue;
      cases.push({
        user: row.user,
        text: row.requestText,
        intended: (row.eventId && intended.get(row.eventId)) || row.item,
      });
    }
    const view = buildCatalogueView(model, await store.getItems());
    return evaluateResolution(model, view, new CatalogueIndex(view.all), cases, config.bpr.seed);
  }

  /**
   * Which stage of the voice pipeline fails most, per intent and device, over the stored request log
   * (failure point isolation, methods.md 3). Labels come from a classifier trained on turns whose failure
   * points are known: given, or trained here on a simulated assistant (logs carry no such labels).
   */
  async failureReport(
    options: {
      classifier?: FailurePointClassifier;
      window?: { fromMs?: number; toMs?: number };
      seed?: number;
    } = {},
  ): Promise<FailureBreakdown & { classifier: "given" | "simulated"; labelled: Record<string, number> }> {
    const turns = (await this.ctx.store.scanRequests(options.window)).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const catalogue = turnCatalogue(await this.ctx.store.getItems());
    const classifier = options.classifier ?? (await this.simulatedClassifier(options.seed ?? 1));
    const labels = classifier.predict(turns, catalogue);
    const labelled: Record<string, number> = {};
    for (const l of labels) labelled[l] = (labelled[l] ?? 0) + 1;
    return {
      ...failureBreakdown(turns, labels),
      classifier: options.classifier ? "given" : "simulated",
      labelled,
    };
  }

  private simulatedClassifier(seed: number): Promise<FailurePointClassifier> {
    let trained = this.simulatedClassifiers.get(seed);
    if (!trained) {
      trained = trainSimulatedFailureClassifierOffThread(seed);
      // A failed training is not kept: the next call tries again.
      trained.catch(() => this.simulatedClassifiers.delete(seed));
      this.simulatedClassifiers.set(seed, trained);
    }
    return trained;
  }
}

function contextAdjuster(
  priors: ContextPriors,
  user: string,
  context: PlayContext,
  timeMs: number,
  kindSaid: boolean,
): CandidateAdjuster {
  return (c) => {
    const { value, lifts } = priors.score(user, { kind: c.kind, item: c.item }, context, timeMs, {
      kindSaid,
    });
    if (lifts.length === 0) return null;
    return { value, reasons: [{ factor: "context", value: round6(value), detail: describeLifts(lifts) }] };
  };
}

/** "Hello by Adele or Hello by Lionel Richie?": the top candidates (at most three) in order. */
function askWhich(ranked: readonly ResolvedCandidate[]): string | null {
  const named = ranked
    .filter((c) => !c.excluded)
    .slice(0, 3)
    .map((c) => (c.creators.length ? `${c.title} by ${c.creators.join(" & ")}` : c.title));
  return named.length ? `${named.join(" or ")}?` : null;
}
