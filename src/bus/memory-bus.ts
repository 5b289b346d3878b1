import {
  type BusMessage,
  type BusState,
  type BusSubscription,
  type DeliveredMessage,
  type EventBus,
  newOrigin,
} from "./event-bus.js";

/**
 * The bus inside one process: a log in memory that several engines (the tests' replicas) share through
 * `member()`. Delivery is asynchronous and in log order, as NATS delivers it.
 */
export class MemoryBusLog {
  private readonly log: Array<{ message: BusMessage; origin: string; stampMs: number }> = [];
  private readonly listeners = new Set<(at: number) => void>();

  /** A bus for one engine over this log. */
  member(): EventBus {
    return new MemoryBus(this);
  }

  append(message: BusMessage, origin: string): void {
    // JSON round trip: subscribers get what a real bus would give them, never the publisher's objects.
    this.log.push({ message: JSON.parse(JSON.stringify(message)), origin, stampMs: Date.now() });
    const at = this.log.length - 1;
    for (const listener of this.listeners) listener(at);
  }

  entries(): ReadonlyArray<{ message: BusMessage; origin: string; stampMs: number }> {
    return this.log;
  }

  listen(listener: (at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

class MemoryBus implements EventBus {
  readonly location = "memory";
  readonly stream = "memory";
  readonly origin = newOrigin();
  state: BusState = "connected";
  private readonly subscriptions = new Set<BusSubscription>();

  constructor(private readonly log: MemoryBusLog) {}

  async publish(message: BusMessage): Promise<void> {
    this.log.append(message, this.origin);
  }

  async subscribe(
    fromMs: number | null,
    onMessage: (delivered: DeliveredMessage) => Promise<void> | void,
  ): Promise<BusSubscription> {
    const liveFrom = this.log.entries().length;
    let queue = Promise.resolve();
    const deliver = (at: number) => {
      const entry = this.log.entries()[at];
      queue = queue.then(() => onMessage({ ...entry, seq: at + 1, catchUp: at < liveFrom })).catch(() => {});
    };
    if (fromMs !== null)
      this.log.entries().forEach((e, at) => {
        if (at < liveFrom && e.stampMs >= fromMs) deliver(at);
      });
    const stop = this.log.listen(deliver);
    const subscription: BusSubscription = {
      close: async () => {
        stop();
        this.subscriptions.delete(subscription);
        await queue;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    this.state = "closed";
    for (const s of [...this.subscriptions]) await s.close();
  }
}
