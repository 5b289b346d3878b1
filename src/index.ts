/** The public surface of the tastebud library. */
export { Engine, type EngineOptions, type AffinityAnswer, type TrainResult } from "./engine.js";
export { trainSettingsSchema, type TrainSettings, toTrainConfig, splitSettingsSchema } from "./config.js";
export { playEventSchema, catalogueItemSchema, songId, type PlayEvent, type CatalogueItem } from "./schema/events.js";
export type { EventStore } from "./store/event-store.js";
export { DuckDbEventStore } from "./store/duckdb/duckdb-store.js";
export * from "./core/affinity/weighting.js";
export { simulateWorld } from "./core/simulate/world.js";
