import { BusError, type EventBus } from "./event-bus.js";
import { NatsBus } from "./nats-bus.js";

/** The bus a URL names: `nats://host:port[/STREAM]` (NATS JetStream). */
export async function openEventBus(url: string): Promise<EventBus> {
  if (/^nats:\/\//i.test(url)) return NatsBus.open(url);
  throw new BusError(`--bus: expected a nats://host:port URL, got "${url}"`);
}
