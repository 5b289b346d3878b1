import { type TurnLabel, turnLabels, type VoiceTurn } from "../voice/turn.js";
import { MlpClassifier, type MlpJson, type MlpOptions } from "./mlp.js";
import {
  type TurnCatalogue,
  type TurnFeatureOptions,
  turnFeatureNames,
  turnFeatures,
} from "./turn-features.js";

export interface FailurePointModelJson {
  format: "tastebud-failure-points";
  featureNames: string[];
  labels: string[];
  model: MlpJson;
  featureOptions: Partial<TurnFeatureOptions>;
}

/**
 * Failure point isolation (methods.md section 3): which stage of the voice pipeline a turn failed at, or
 * CORRECT, from what the log shows of it and of the user's reaction. The published model embeds the text
 * with pre-trained transformers; nothing may be downloaded here, so the turn is described by confidences,
 * response, play outcome, context and how the next turn relates to it (turn-features.ts), and a softmax
 * classifier with one hidden layer (mlp.ts; the paper's "mixing encoder" in miniature) learns the labels
 * from simulated turns with ground truth. On the simulator it beat a linear softmax by about 2 points of
 * macro-F1, mostly on ASR, whose signs only count together with a failed turn.
 */
export class FailurePointClassifier {
  private constructor(
    private readonly model: MlpClassifier,
    private readonly featureOptions: Partial<TurnFeatureOptions>,
  ) {}

  static train(
    turns: readonly VoiceTurn[],
    labels: readonly TurnLabel[],
    catalogue: TurnCatalogue,
    options: { features?: Partial<TurnFeatureOptions>; model?: Partial<MlpOptions> } = {},
  ): FailurePointClassifier {
    if (turns.length !== labels.length) throw new Error("one label per turn is needed");
    const x = turnFeatures(turns, catalogue, options.features);
    const y = Int32Array.from(labels, (l) => {
      const c = turnLabels.indexOf(l);
      if (c < 0) throw new Error(`unknown label ${l}`);
      return c;
    });
    const model = MlpClassifier.train(x, y, turnLabels.length, options.model);
    return new FailurePointClassifier(model, options.features ?? {});
  }

  /** The most likely label of each turn (turns in time order; their follow-ups are read from the list). */
  predict(turns: readonly VoiceTurn[], catalogue: TurnCatalogue): TurnLabel[] {
    const d = turnFeatureNames.length;
    const x = turnFeatures(turns, catalogue, this.featureOptions);
    return turns.map((_, k) => turnLabels[this.model.predict(x.subarray(k * d, (k + 1) * d))]);
  }

  toJSON(): FailurePointModelJson {
    return {
      format: "tastebud-failure-points",
      featureNames: [...turnFeatureNames],
      labels: [...turnLabels],
      model: this.model.toJSON(),
      featureOptions: this.featureOptions,
    };
  }

  static fromJSON(json: FailurePointModelJson): FailurePointClassifier {
    if (json.format !== "tastebud-failure-points") throw new Error("not a failure-point model");
    if (json.featureNames.join() !== turnFeatureNames.join() || json.model?.kind !== "mlp")
      throw new Error("the failure-point model was trained on other features: train it again");
    return new FailurePointClassifier(MlpClassifier.fromJSON(json.model), json.featureOptions);
  }
}

/**
 * The simple baseline: a decision list over the same signals, the way one would triage a log by eye.
 * A turn heard with low confidence, alone in its session, that played nothing or was cut off is a false
 * wake. A play not barged in on and not asked again went right. Otherwise the clearest sign is blamed: low
 * ASR confidence or a word no title knows (ASR); the user then said the kind, or got another kind (NLU);
 * then named the creator, or got another item of the title (ER); an error, "not available" or the same item
 * again (RESULT); an unsure or missing intent (NLU); else ER when nothing or a shared title was found.
 */
export function ruleBaselineLabels(turns: readonly VoiceTurn[], catalogue: TurnCatalogue): TurnLabel[] {
  const d = turnFeatureNames.length;
  const x = turnFeatures(turns, catalogue);
  const at = (k: number, name: (typeof turnFeatureNames)[number]) =>
    x[k * d + turnFeatureNames.indexOf(name)];
  return turns.map((t, k): TurnLabel => {
    const rephrased = at(k, "hasNext") === 1 && at(k, "nextSoundSimilarity") >= 0.5;
    const asr = t.asrConfidence ?? 1;
    const nlu = t.intentConfidence ?? 1;
    if (asr < RULE_ASR && at(k, "isolated") === 1 && (t.responseKind !== "play" || t.bargeIn))
      return "FALSE_WAKE";
    // A short play nobody barged in on or asked again is as often a change of mind as a failure.
    if (t.responseKind === "play" && !t.bargeIn && !rephrased) return "CORRECT";
    if (asr < RULE_ASR || at(k, "unknownWordShare") > 0) return "ASR";
    if (at(k, "nextAddsKindWord") === 1 || at(k, "nextKindDiffers") === 1) return "NLU";
    if (at(k, "nextAddsCreator") === 1 || at(k, "nextSameTitleOtherItem") === 1) return "ER";
    if (t.responseKind === "error" || t.responseKind === "answer" || at(k, "nextSameItem") === 1)
      return "RESULT";
    if (nlu < RULE_NLU || !t.intent || t.intent === "Unknown") return "NLU";
    // A confident intent and no item, or one of several items of that title: entity resolution.
    return !t.resolvedItem || at(k, "logSameTitle") > 0 ? "ER" : "RESULT";
  });
}

/** Confidence lines of the rule baseline, set by eye from the simulator's training days. */
const RULE_ASR = 0.55;
const RULE_NLU = 0.75;

export interface FailureBreakdown {
  turns: number;
  failures: number;
  byStage: Record<string, number>;
  /** Per intent (or "unknown"), the count of each label and the share that failed. */
  byIntent: Record<string, { turns: number; failureRate: number; stages: Record<string, number> }>;
  byDevice: Record<string, { turns: number; failureRate: number; stages: Record<string, number> }>;
  /** The stage that fails most overall, null when nothing failed. */
  worstStage: string | null;
}

/** Which stage fails most, overall, per intent and per device type (the `tastebud failures` report). */
export function failureBreakdown(
  turns: readonly VoiceTurn[],
  labels: readonly TurnLabel[],
): FailureBreakdown {
  const byStage: Record<string, number> = {};
  const group = (): FailureBreakdown["byIntent"] => ({});
  const byIntent = group();
  const byDevice = group();
  const bump = (g: FailureBreakdown["byIntent"], key: string, label: TurnLabel) => {
    g[key] ??= { turns: 0, failureRate: 0, stages: {} };
    g[key].turns++;
    if (label !== "CORRECT") g[key].stages[label] = (g[key].stages[label] ?? 0) + 1;
  };
  let failures = 0;
  turns.forEach((t, k) => {
    const label = labels[k];
    if (label !== "CORRECT") {
      failures++;
      byStage[label] = (byStage[label] ?? 0) + 1;
    }
    bump(byIntent, t.intent ?? "unknown", label);
    bump(byDevice, t.context?.deviceType ?? "unknown", label);
  });
  for (const g of [byIntent, byDevice]) {
    for (const v of Object.values(g)) {
      const failed = Object.values(v.stages).reduce((a, b) => a + b, 0);
      v.failureRate = Math.round((failed / v.turns) * 1e4) / 1e4;
    }
  }
  const worst = Object.entries(byStage).sort((a, b) => b[1] - a[1])[0];
  return { turns: turns.length, failures, byStage, byIntent, byDevice, worstStage: worst ? worst[0] : null };
}
