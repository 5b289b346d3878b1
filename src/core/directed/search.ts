import { type DirectedEmbeddings, type DirectedTrainOptions, trainDirectedEmbeddings } from "./blade.js";

/** Where the biases start: at zero, or at the centred log-degrees (DirectedTrainOptions.biasInit). */
export type BiasStart = NonNullable<DirectedTrainOptions["biasInit"]>;

/** One validation check: ranking (MRR) and direction (AUC; NaN where the check has no direction pairs). */
export interface ValidationScore {
  mrr: number;
  directionAuc: number;
}

/**
 * What the search maximises: MRR + direction AUC, the two targets of the directed model. A check without
 * direction pairs (or a model that cannot tell direction) counts 0.5, chance, so it chooses on MRR alone.
 *
 * An AUC below 0.5 counts 0.5 too: a direction worse than a coin earns nothing a symmetric score (which
 * abstains, at 0.5) does not, so among checks below chance MRR alone decides. Why: on the Spotify plays-next
 * graph every check's AUC is 0.38-0.44 and moves by more than MRR does, so the raw sum chose the
 * log-degree start at 3 passes (validation MRR 0.0034, AUC 0.428) over the zero start at 15 (MRR 0.0177,
 * AUC 0.414), a model that ranks at a quarter of the other; rewarding the less-wrong direction there traded
 * ranking for noise. Where every check is above 0.5 (Cora: test AUCs 0.85-0.87) nothing changes.
 */
export function criterionOf(score: ValidationScore): number {
  return score.mrr + (Number.isFinite(score.directionAuc) ? Math.max(score.directionAuc, 0.5) : 0.5);
}

/** The best check of a run, and where the run stopped. */
export interface WatchedRun extends ValidationScore {
  epochs: number;
  criterion: number;
  stoppedAt: number;
}

/**
 * The validation rule of one training run: the best check is the one with the highest criterion (criterionOf:
 * MRR + AUC, the AUC counted at 0.5 at least);
 * the run stops when neither MRR nor the criterion has gained for `patience` checks in a row.
 *
 * Why not stop on the criterion alone: biases that start at the counts' logarithm give a degree-like
 * direction AUC from the first epochs, before the vectors have learned to rank; as they learn, MRR climbs
 * while that AUC dips, so the sum can stay below its first check for several checks and a stop on the sum
 * ends the run there (Cora, plain source/target factors, seed 1: best at 20 epochs, HitRate@10 0.14).
 * Why not on MRR alone: from zero, BLADE's validation MRR dips for 40-60 epochs while its biases learn
 * direction (0.21 at 20 epochs, 0.16 at 60, 0.22 at 120 on Cora's seed-1 validation cut), and a stop on MRR
 * ends it in the dip. Either signal still moving keeps the run going; the sum decides which check is kept.
 */
export class ValidationWatch {
  private bestRun: Omit<WatchedRun, "stoppedAt"> | null = null;
  private bestMrr = Number.NEGATIVE_INFINITY;
  private withoutGain = 0;
  private last = 0;

  constructor(private readonly patience: number) {
    if (!(Number.isInteger(patience) && patience >= 1)) throw new RangeError("patience must be >= 1");
  }

  /** Records the check after `epoch` epochs; false when the run should stop. */
  check(epoch: number, score: ValidationScore): boolean {
    this.last = epoch;
    const criterion = criterionOf(score);
    let gained = false;
    if (!this.bestRun || criterion > this.bestRun.criterion) {
      this.bestRun = { epochs: epoch, criterion, ...score };
      gained = true;
    }
    if (score.mrr > this.bestMrr) {
      this.bestMrr = score.mrr;
      gained = true;
    }
    this.withoutGain = gained ? 0 : this.withoutGain + 1;
    return this.withoutGain < this.patience;
  }

  /** The best check so far (null before the first). */
  best(): WatchedRun | null {
    return this.bestRun ? { ...this.bestRun, stoppedAt: this.last } : null;
  }
}

/** How the epoch count, L2 penalty and bias start are searched on validation. */
export interface SearchSettings {
  /** L2 penalties tried (default 1e-6 and 1e-4). */
  l2Values?: readonly number[];
  /**
   * Bias starts tried; default both for a model with biases, unless `base.biasInit` forces one (a symmetric
   * model has none, so it only tries "zero").
   */
  biasStarts?: readonly BiasStart[];
  /** Longest run; a check every `checkEvery` epochs; stop after `patience` checks without a gain. */
  maxEpochs: number;
  checkEvery: number;
  patience: number;
}

/** A candidate tried on validation, with its best check. */
export interface TriedSettings extends WatchedRun {
  l2: number;
  biasInit: BiasStart;
}

export interface SearchResult {
  chosen: TriedSettings;
  /** The vectors at the chosen check, trained on the fit side only (null unless asked for). */
  embeddings: DirectedEmbeddings | null;
  tried: TriedSettings[];
}

export const defaultL2Values = [1e-6, 1e-4] as const;

/** The bias starts a search tries for these training options. */
export function biasStartsFor(
  base: DirectedTrainOptions,
  asked?: readonly BiasStart[],
): readonly BiasStart[] {
  if (base.biasInit) return [base.biasInit];
  if (base.tied || (base.targetBias === false && !base.sourceBias)) return ["zero"];
  return asked ?? ["zero", "log-degree"];
}

/**
 * Trains on the fit side once per (bias start, L2) candidate, checking every `checkEvery` epochs with
 * `validate` (which must see only the training side: the caller hands it the fit graph and the validation
 * cut), and returns the candidate and epoch count with the highest criterion. Ties keep the earlier
 * candidate: zero before log-degree, the smaller L2 first.
 */
export function searchOnValidation(
  fitForTraining: Parameters<typeof trainDirectedEmbeddings>[0],
  base: DirectedTrainOptions,
  settings: SearchSettings,
  validate: (embeddings: DirectedEmbeddings) => ValidationScore,
  extra: {
    /** Keep the vectors of the chosen check (a copy per improvement: off unless the caller needs them). */
    keepEmbeddings?: boolean;
    onCandidate?: (done: number, total: number) => void;
    onCheck?: (check: { epoch: number; l2: number; biasInit: BiasStart } & ValidationScore) => void;
  } = {},
): SearchResult {
  const starts = biasStartsFor(base, settings.biasStarts);
  const l2Values = settings.l2Values ?? defaultL2Values;
  const tried: TriedSettings[] = [];
  let chosen: { run: TriedSettings; embeddings: DirectedEmbeddings | null } | null = null;
  const total = starts.length * l2Values.length;
  for (const biasInit of starts)
    for (const l2 of l2Values) {
      extra.onCandidate?.(tried.length, total);
      const watch = new ValidationWatch(settings.patience);
      let kept: DirectedEmbeddings | null = null;
      const last = trainDirectedEmbeddings(fitForTraining, {
        ...base,
        biasInit,
        l2,
        epochs: settings.maxEpochs,
        onEpoch(epoch, _loss, embeddings) {
          if (epoch % settings.checkEvery !== 0) return true;
          const current = embeddings();
          const score = validate(current);
          extra.onCheck?.({ epoch, l2, biasInit, ...score });
          const go = watch.check(epoch, score);
          if (extra.keepEmbeddings && watch.best()!.epochs === epoch) kept = current;
          return go;
        },
      });
      const best = watch.best();
      // Fewer epochs than one check: nothing measured, the whole run stands for the choice.
      const run: TriedSettings = best
        ? { ...best, l2, biasInit }
        : {
            epochs: settings.maxEpochs,
            criterion: Number.NEGATIVE_INFINITY,
            mrr: Number.NaN,
            directionAuc: Number.NaN,
            stoppedAt: settings.maxEpochs,
            l2,
            biasInit,
          };
      if (!best && extra.keepEmbeddings) kept = last;
      tried.push(run);
      if (!chosen || run.criterion > chosen.run.criterion) chosen = { run, embeddings: kept };
    }
  return { chosen: chosen!.run, embeddings: chosen!.embeddings, tried };
}
