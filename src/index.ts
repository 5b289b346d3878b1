/** The public surface of the tastebud library. */

export { splitSettingsSchema, type TrainSettings, toTrainConfig, trainSettingsSchema } from "./config.js";
export * from "./core/affinity/weighting.js";
export { simulateWorld } from "./core/simulate/world.js";
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
  PreferencesService,
  RecommendService,
  RewritesService,
  ServingModels,
  VoiceService,
} from "./services/index.js";
export type { PlaylistAnswer, PlaylistRequest, PlaylistsService } from "./services/playlists.js";
export { DuckDbEventStore } from "./store/duckdb/duckdb-store.js";
export type { EventStore } from "./store/event-store.js";
