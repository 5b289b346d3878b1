import { SoftmaxRegression } from "../failures/softmax-regression.js";
import { Random } from "../random.js";
import type { EmbeddingTable } from "./embeddings.js";
import type { WordMechanism } from "./mechanisms.js";
import { type OutOfVocabularyPolicy, perturbText, tokenize } from "./text.js";

/** One labelled utterance: SNIPS rows, or any JSON lines of {text, intent[, slots]}. */
export interface IntentExample {
  text: string;
  intent: string;
  slots?: { slot: string; value: string; start: number; end: number }[];
}

/**
 * The utility task of the issue: an intent classifier on averaged word embeddings (out-of-vocabulary
 * tokens and placeholders contribute nothing) with multinomial logistic regression, trained on perturbed
 * training text and tested on perturbed test text. Averaged embeddings rather than bag of words so that a
 * word replaced by a near neighbour still lands near the same features, the premise of these mechanisms.
 */
export function averagedEmbedding(
  tokens: readonly (string | null)[],
  table: EmbeddingTable,
  out: Float64Array,
  at: number,
): void {
  const d = table.dimensions;
  let n = 0;
  for (const token of tokens) {
    if (token === null) continue;
    const id = table.id(token);
    if (id < 0) continue;
    const v = table.vector(id);
    for (let j = 0; j < d; j++) out[at + j] += v[j];
    n++;
  }
  if (n > 0) for (let j = 0; j < d; j++) out[at + j] /= n;
}

export interface IntentRun {
  accuracy: number;
  /** Share of slot values whose every token came out unchanged (null when the test rows carry no slots). */
  slotSurvival: number | null;
  /** Share of vocabulary tokens (train and test) the mechanism changed. */
  changedShare: number;
}

export interface IntentRunOptions {
  table: EmbeddingTable;
  /** null: the unperturbed ceiling. */
  mechanism: WordMechanism | null;
  oov: OutOfVocabularyPolicy;
  seed: number;
  epochs?: number;
}

export function runIntentTask(
  train: readonly IntentExample[],
  test: readonly IntentExample[],
  o: IntentRunOptions,
): IntentRun {
  const rng = new Random(o.seed);
  const labels = [...new Set(train.map((e) => e.intent))].sort();
  const labelOf = new Map(labels.map((l, i) => [l, i]));
  let perturbed = 0;
  let changed = 0;
  const tokensOf = (text: string): (string | null)[] => {
    if (!o.mechanism) return tokenize(text);
    const p = perturbText(text, o.table, o.mechanism, rng, o.oov);
    perturbed += p.perturbed;
    changed += p.changed;
    return p.tokens;
  };
  const d = o.table.dimensions;
  const x = new Float64Array(train.length * d);
  const y = new Int32Array(train.length);
  train.forEach((e, i) => {
    averagedEmbedding(tokensOf(e.text), o.table, x, i * d);
    y[i] = labelOf.get(e.intent) ?? 0;
  });
  const model = SoftmaxRegression.train(x, y, labels.length, {
    epochs: o.epochs ?? 200,
    learningRate: 0.05,
    l2: 1e-4,
    balanceClasses: false,
    seed: o.seed,
  });
  let correct = 0;
  let slots = 0;
  let survived = 0;
  const row = new Float64Array(d);
  for (const e of test) {
    const original = tokenize(e.text);
    const out = tokensOf(e.text);
    row.fill(0);
    averagedEmbedding(out, o.table, row, 0);
    if (labels[model.predict(row)] === e.intent) correct++;
    for (const s of e.slots ?? []) {
      // The slot's token span: tokens before its start, then its own tokens.
      const from = tokenize(e.text.slice(0, s.start)).length;
      const length = tokenize(s.value).length;
      if (length === 0) continue;
      slots++;
      let same = true;
      for (let t = from; t < from + length; t++) if (out[t] !== original[t]) same = false;
      if (same) survived++;
    }
  }
  return {
    accuracy: correct / test.length,
    slotSurvival: slots ? survived / slots : null,
    changedShare: perturbed ? changed / perturbed : 0,
  };
}
