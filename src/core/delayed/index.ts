export {
  expectedCalibrationError,
  logLoss,
  type ProbabilityQuality,
  probabilityQuality,
} from "./calibration-metrics.js";
export {
  convertedBy,
  type DelayedExamples,
  engagementCount,
  engagementCsr,
  eventuallyConverts,
} from "./delayed-examples.js";
export {
  defaultFavouriteEvaluation,
  evaluateFavourites,
  type FavouriteEvaluation,
  type FavouriteEvaluationOptions,
  type FavouriteRun,
  type ThresholdComparison,
} from "./evaluate-favourites.js";
export {
  type CreatorPlayTable,
  defaultFavouriteRule,
  type FavouriteRule,
  favouriteEngagementKinds,
  favouriteExamples,
  favouriteFeatureNames,
} from "./favourites.js";
export {
  conversionByElapsed,
  conversionIfNotYet,
  type DelayModels,
  fitDelayModels,
  type ImportanceWeightOptions,
  importanceWeights,
} from "./importance-weights.js";
export { fitLogistic, type LogisticModel, logisticLogit, predictLogistic } from "./logistic.js";
export {
  bootstrapEnsemble,
  compareDelayedMethods,
  type DelayedComparison,
  type DelayedMethod,
  type DelayedSplit,
  delayedMethods,
  ensemblePredict,
  featureRows,
  fitFavouriteClassifier,
  maturedTrainingRows,
  splitAtCuts,
  trainingSet,
} from "./training-methods.js";
