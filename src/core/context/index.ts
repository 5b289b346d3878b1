export {
  type ContextFacts,
  type ContextLift,
  type ContextObservation,
  type ContextPriorOptions,
  ContextPriors,
  type ContextPriorsJson,
  contextFeatures,
  defaultContextPriorOptions,
  describeLifts,
  timeFeatures,
} from "./context-priors.js";
export { contextObservations } from "./observations.js";
