/** Directed related items: "what follows" graphs, BLADE-style source/target embeddings, baselines, metrics. */
export { type DirectedEmbeddings, type DirectedTrainOptions, trainDirectedEmbeddings } from "./blade.js";
export {
  type CountsFirstOptions,
  countsFirstScorer,
  logPopularityScorer,
  type SmoothedFollow,
  smoothedFollows,
} from "./counts-first.js";
export {
  blendWeights,
  bothDirections,
  chooseBlendWeight,
  type DirectedExperimentOptions,
  type DirectedExperimentReport,
  type DirectedModelName,
  type DirectedModelResult,
  type DirectedModelTraining,
  directedModels,
  type HeldOutStructure,
  heldOutStructure,
  runDirectedExperiment,
  trainDirectedModel,
} from "./experiment.js";
export {
  buildDirectedGraph,
  type DirectedGraph,
  type EdgeArrays,
  edgesOf,
  hasEdge,
  inDegree,
  NodeIndex,
  outDegree,
} from "./graph.js";
export { type DirectedMetrics, type DirectedReport, evaluateDirected } from "./metrics.js";
export {
  buildNextIndex,
  type NextIndex,
  type NextItem,
  type NextReason,
  nextFactorModel,
  nextNodes,
  reasonFor,
  withCandidates,
} from "./next.js";
export {
  buildNextCandidates,
  CandidateAnswerer,
  type NextCandidates,
  type RankedFollow,
} from "./next-candidates.js";
export {
  type CountsFirstTraining,
  chooseSmoothing,
  evaluateNextPlay,
  type NextPlayMetrics,
  type NextPlayModelName,
  type NextPlayModelResult,
  type NextPlayOptions,
  type NextPlayQueries,
  type NextPlayReport,
  nextPlayModels,
  popularityScorer,
  runNextPlayExperiment,
  smoothingValues,
  splitByTime,
  trainCountsFirstModel,
  transitionCountScorer,
} from "./next-play.js";
export {
  type PlaySequenceColumns,
  type PlaysNextOptions,
  type PlayTransitions,
  playsNextEdges,
  playsNextTransitions,
} from "./plays-next.js";
export { type SamplingOptions, sampleNeighbourhoods } from "./sampling.js";
// Every scorer: the model's, the baselines', and the blend of a directed model with a symmetric one.
export * from "./scorers.js";
export { type FollowGraphOptions, simulateFollowGraph } from "./synthetic.js";
