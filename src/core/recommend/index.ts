export {
  defaultEaseMaxItems,
  type ItemItemWeights,
  scoreItemItem,
  trainEase,
  trainItemKnn,
} from "./item-item.js";
export {
  itemColumns,
  type PositiveRows,
  positiveCounts,
  positiveRows,
  type SkipMeaning,
} from "./positives.js";
export {
  type CandidateFigures,
  defaultTopNConfig,
  selectRecommender,
  type TopNConfig,
  type TopNProgress,
  type TopNSelection,
  trainRecommender,
  trainTopN,
} from "./select.js";
export { gaussJordanInverse, invertSymmetricPositiveDefinite } from "./symmetric-inverse.js";
export {
  blendWithPopularity,
  describeChoice,
  popularityTerm,
  type RecommenderChoice,
  type RecommenderName,
  recommenderNames,
  scoreTopN,
  type TopNModel,
} from "./topn-model.js";
