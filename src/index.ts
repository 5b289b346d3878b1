/** The public surface of the tastebud library. */

export { splitSettingsSchema, type TrainSettings, toTrainConfig, trainSettingsSchema } from "./config.js";
export * from "./core/affinity/weighting.js";
export {
  compareDelayedMethods,
  type DelayedExamples,
  evaluateFavourites,
  type FavouriteEvaluation,
  favouriteExamples,
  importanceWeights,
} from "./core/delayed/index.js";
export { evaluateResolveDecision } from "./core/evaluation/resolve-decision.js";
export { evaluateRewriteDecision } from "./core/evaluation/rewrite-decision.js";
export { type ResolveDecision, resolveDecision } from "./core/serving/resolve-decision.js";
export { simulateFavouriteHistories } from "./core/simulate/favourites.js";
export { simulateWorld } from "./core/simulate/world.js";
export {
  type BinnedThresholds,
  decide,
  fitEwDpmt,
  fitMist,
  fitSingleThreshold,
  isotonicRegression,
} from "./core/thresholds/index.js";
export {
  type AffinityAnswer,
  Engine,
  type EngineOptions,
  type FoldInAnswer,
  type ItemListAnswer,
  NoModelError,
  type RecommendRequest,
  type ResolveAnswer,
  type ResolveOptions,
  type TrainResult,
} from "./engine.js";
export {
  type CatalogueItem,
  catalogueItemSchema,
  type PlayEvent,
  playEventSchema,
  songId,
} from "./schema/events.js";
export type {
  AffinityService,
  EventsService,
  FavouritesService,
  PreferencesService,
  RecommendService,
  RewritesService,
  ServingModels,
  VoiceService,
} from "./services/index.js";
export type { PlaylistAnswer, PlaylistRequest, PlaylistsService } from "./services/playlists.js";
export { DuckDbEventStore } from "./store/duckdb/duckdb-store.js";
export type { EventStore } from "./store/event-store.js";
export { openEventStore } from "./store/open-store.js";
export { PostgresEventStore, type PostgresStoreOptions } from "./store/postgres/postgres-store.js";
