import type { Random } from "../core/random.js";
import type { EventStore } from "../store/event-store.js";
import type { ServingModels } from "./serving-model.js";

/**
 * What every capability service is given: the store, where model versions live, the current model, and the
 * seeded draws serving makes. Services take this and, where one capability builds on another, that service.
 */
export interface ServiceContext {
  readonly store: EventStore;
  /** Folder of model versions (absolute). */
  readonly modelsDir: string;
  readonly models: ServingModels;
  /** Draws serving makes (the rewrite hold-out share), seeded for reproducible serving. */
  readonly draws: Random;
}
