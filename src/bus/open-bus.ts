import { BusError, type EventBus } from "./event-bus.js";

/** The bus a URL names: `nats://host:port[/STREAM]` (NATS JetStream, its client loaded only then). */
export async function openEventBus(url: string): Promise<EventBus> {
  if (/^nats:\/\//i.test(url)) return (await import("./nats-bus.js")).NatsBus.open(url);
  throw new BusError(`--bus: expected a nats://host:port URL, got "${url}"`);
}
