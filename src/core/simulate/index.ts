/** Seeded simulated worlds with ground truth, for testing and benchmarking the taste model. */
export { trueAffinity } from "./model.js";
export { GENRES, TOPICS } from "./names.js";
export { busiestUser, type SpotifyExportFile, spotifyExport } from "./spotify-export.js";
export { type SimulationTruthJson, simulationTruthJsonSchema, truthFromJson, truthToJson } from "./truth.js";
export {
  defaultSimulationOptions,
  type ResolvedSimulationOptions,
  resolveOptions,
  type SimulatedRequest,
  type SimulatedWorld,
  type SimulationOptions,
  type SimulationTruth,
} from "./types.js";
export * from "./voice/index.js";
export { simulateWorld } from "./world.js";
