export {
  type BinnedThresholds,
  decide,
  decideAll,
  fitSingleThreshold,
  thresholdsFromJson,
  thresholdsToJson,
} from "./binned-thresholds.js";
export { ewDpmtCells, ewDpmtChoose, fitEwDpmt } from "./ew-dpmt.js";
export { type IsotonicFit, isotonicPredict, isotonicRegression } from "./isotonic.js";
export { fitMist } from "./mist.js";
export {
  bestSingleThreshold,
  quantileEdges,
  type SelectionQuality,
  selectionQuality,
} from "./precision-recall.js";
