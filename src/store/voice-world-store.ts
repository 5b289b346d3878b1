import type { VoiceWorld } from "../core/simulate/voice/world-types.js";
import { catalogueItemSchema } from "../schema/events.js";
import { OccurrenceCounter } from "./event-key.js";
import type { EventStore } from "./event-store.js";

/** Stores a simulated voice assistant's catalogue, plays and request log (tests and the dashboard's demo). */
export async function storeVoiceWorld(store: EventStore, world: VoiceWorld): Promise<void> {
  await store.upsertItems(world.catalogue.map((c) => catalogueItemSchema.parse(c)));
  const counter = new OccurrenceCounter();
  await store.appendPlays(world.plays.map((event) => ({ key: counter.keyFor(event), event, source: "sim" })));
  await store.appendRequests(world.requests.map((event) => ({ event, source: "sim" })));
}
