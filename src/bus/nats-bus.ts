import { type ConsumerMessages, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import {
  BusError,
  type BusMessage,
  type BusState,
  type BusSubscription,
  type DeliveredMessage,
  type EventBus,
  newOrigin,
} from "./event-bus.js";

/** How long the log keeps messages: long enough to replay everything since the oldest model a replica serves. */
const keepForMs = 7 * 24 * 3600_000;

/** What a message carries on the wire: who published it, and the message. */
interface Envelope {
  origin: string;
  message: BusMessage;
}

/**
 * The bus on NATS JetStream: one stream (its name from the URL's path, default TASTEBUD) whose subjects are
 * `<stream>.<kind>`. Each subscriber reads it with its own ordered consumer, so every replica sees the same
 * messages in the same order; a restarted one replays from a time it chooses.
 */
export class NatsBus implements EventBus {
  readonly origin = newOrigin();
  private readonly subscriptions = new Set<BusSubscription>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private connection: BusState = "connected";

  private constructor(
    private readonly nc: NatsConnection,
    readonly location: string,
    readonly stream: string,
  ) {
    this.followConnection();
  }

  get state(): BusState {
    return this.nc.isClosed() ? "closed" : this.connection;
  }

  /** Keeps `state` as the client reports its connection (the loop ends when the connection closes). */
  private followConnection(): void {
    (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === "disconnect" || status.type === "reconnecting") this.connection = "reconnecting";
        else if (status.type === "reconnect") this.connection = "connected";
        else if (status.type === "close") this.connection = "closed";
      }
    })().catch(() => {});
  }

  /** Connects (`nats://host:port[/STREAM]`) and creates the stream when missing. */
  static async open(url: string): Promise<NatsBus> {
    const parsed = new URL(url);
    const stream = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "TASTEBUD";
    if (!/^[A-Za-z0-9_-]+$/.test(stream))
      throw new BusError(`--bus: stream name "${stream}" may hold only letters, digits, _ and -`);
    const location = `nats://${parsed.host}/${stream}`;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: parsed.host || "127.0.0.1:4222",
        ...(parsed.username ? { user: decodeURIComponent(parsed.username) } : {}),
        ...(parsed.password ? { pass: decodeURIComponent(parsed.password) } : {}),
        name: "tastebud",
        timeout: 3000,
        // A replica keeps serving while the bus is away, and reconnects for as long as it runs.
        maxReconnectAttempts: -1,
      });
    } catch (err) {
      throw new BusError(`cannot reach the bus at ${location}: ${(err as Error).message}`);
    }
    try {
      const jsm = await jetstreamManager(nc);
      try {
        await jsm.streams.info(stream);
      } catch {
        await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], max_age: nanos(keepForMs) });
      }
    } catch (err) {
      await nc.close();
      throw new BusError(`the bus at ${location} has no JetStream: ${(err as Error).message}`);
    }
    return new NatsBus(nc, location, stream);
  }

  /** Deletes this bus's stream and everything in it (tests and the cluster check clean up with it). */
  async removeStream(): Promise<void> {
    await (await jetstreamManager(this.nc)).streams.delete(this.stream);
  }

  async publish(message: BusMessage): Promise<void> {
    const envelope: Envelope = { origin: this.origin, message };
    await jetstream(this.nc).publish(
      `${this.stream}.${message.kind}`,
      this.encoder.encode(JSON.stringify(envelope)),
    );
  }

  async subscribe(
    fromMs: number | null,
    onMessage: (delivered: DeliveredMessage) => Promise<void> | void,
  ): Promise<BusSubscription> {
    const jsm = await jetstreamManager(this.nc);
    // Everything up to here is a replay; what comes after is live.
    const lastBefore = (await jsm.streams.info(this.stream)).state.last_seq;
    const consumer = await jetstream(this.nc).consumers.get(
      this.stream,
      fromMs === null
        ? { deliver_policy: DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(fromMs).toISOString() },
    );
    const messages: ConsumerMessages = await consumer.consume();
    const done = (async () => {
      for await (const m of messages) {
        let envelope: Envelope;
        try {
          envelope = JSON.parse(this.decoder.decode(m.data)) as Envelope;
        } catch {
          continue; // not ours
        }
        try {
          await onMessage({
            message: envelope.message,
            origin: envelope.origin,
            seq: m.seq,
            stampMs: Number(m.timestampNanos / 1_000_000n),
            catchUp: m.seq <= lastBefore,
          });
        } catch {
          // One message a replica cannot apply (a model not loaded yet, a closed store) must not stop
          // the others: what it missed is in the store, and counts again at the next training.
        }
      }
    })();
    const subscription: BusSubscription = {
      close: async () => {
        this.subscriptions.delete(subscription);
        await messages.close();
        await done.catch(() => {});
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    for (const s of [...this.subscriptions]) await s.close();
    await this.nc.drain().catch(() => this.nc.close());
  }
}
