export { type ClassificationReport, classificationReport } from "./confusion.js";
export {
  type FailureBreakdown,
  FailurePointClassifier,
  type FailurePointModelJson,
  failureBreakdown,
  ruleBaselineLabels,
} from "./failure-points.js";
export { defaultMlpOptions, MlpClassifier, type MlpJson, type MlpOptions } from "./mlp.js";
export {
  looksSuccessful,
  type TurnCatalogue,
  type TurnFeatureOptions,
  turnCatalogue,
  turnFeatureNames,
  turnFeatures,
} from "./turn-features.js";
