export { ApproximateIndex, type ApproximateIndexOptions, measureRecall, searchRecallFloor } from "./ann.js";
export {
  type Exclusion,
  exactTopN,
  forgetItemNorms,
  itemInverseNorms,
  itemScore,
  nearestByCosine,
  similarItems,
  type TopNOptions,
  type TopNResult,
} from "./exact.js";
export { approximateTopN, createTopN, type TopN, type TopNConfig } from "./facade.js";
export { type RandomModelOptions, randomFactorModel } from "./synthetic.js";
