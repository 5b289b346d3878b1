/** Per-class precision, recall and F1 from a confusion table, and their macro average. */
export interface ClassificationReport {
  labels: string[];
  /** confusion[truth][predicted] counts. */
  confusion: Record<string, Record<string, number>>;
  perClass: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  macroF1: number;
  accuracy: number;
}

export function classificationReport(
  labels: readonly string[],
  truth: readonly string[],
  predicted: readonly string[],
): ClassificationReport {
  if (truth.length !== predicted.length) throw new Error("truth and predictions differ in length");
  const confusion: Record<string, Record<string, number>> = {};
  for (const t of labels) confusion[t] = Object.fromEntries(labels.map((p) => [p, 0]));
  let correct = 0;
  for (let k = 0; k < truth.length; k++) {
    const row = confusion[truth[k]];
    if (!row || row[predicted[k]] === undefined)
      throw new Error(`unknown label ${truth[k]} or ${predicted[k]}`);
    row[predicted[k]]++;
    if (truth[k] === predicted[k]) correct++;
  }
  const perClass: ClassificationReport["perClass"] = {};
  let f1Sum = 0;
  let classes = 0;
  for (const c of labels) {
    const tp = confusion[c][c];
    let predictedC = 0;
    for (const t of labels) predictedC += confusion[t][c];
    let support = 0;
    for (const p of labels) support += confusion[c][p];
    const precision = predictedC ? tp / predictedC : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[c] = { precision: round(precision), recall: round(recall), f1: round(f1), support };
    // Macro-F1 over classes that occur in the truth: an absent class says nothing about the classifier.
    if (support > 0) {
      f1Sum += f1;
      classes++;
    }
  }
  return {
    labels: [...labels],
    confusion,
    perClass,
    macroF1: round(classes ? f1Sum / classes : 0),
    accuracy: round(truth.length ? correct / truth.length : 0),
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
