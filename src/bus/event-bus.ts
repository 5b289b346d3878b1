import type { PlayEvent, RequestEvent } from "../schema/events.js";
import type { FeedbackEvent } from "../schema/impressions.js";

/**
 * What one replica tells the others, after the store has committed it: plays it accepted (with their
 * dedupe keys), request turns it accepted (the rewrite monitor learns from them), a user whose taught
 * preferences changed (read them again from the store), and home feedback it stored (the bandit policy
 * learns from it). Only events that were new to the store are published.
 */
export type BusMessage =
  | { kind: "plays"; plays: Array<{ key: string; event: PlayEvent }> }
  | { kind: "requests"; events: RequestEvent[] }
  | { kind: "preferences"; user: string }
  | { kind: "feedback"; events: FeedbackEvent[] };

/** A message as a subscriber receives it. */
export interface DeliveredMessage {
  message: BusMessage;
  /** Which process published it (EventBus.origin of the publisher). */
  origin: string;
  /** Position in the bus's log: the same order at every subscriber. */
  seq: number;
  /** When the bus stored it (epoch ms), the same at every subscriber. */
  stampMs: number;
  /**
   * Published before this subscription began (a replay from `fromMs`): what a restarted replica reads to
   * catch up. Counts it learns from stored state instead (monitor, policy) must not be applied again.
   */
  catchUp: boolean;
}

/** The connection to the bus as this process sees it now. */
export type BusState = "connected" | "reconnecting" | "closed";

export interface BusSubscription {
  close(): Promise<void>;
}

/**
 * A durable, ordered log of what replicas accepted, that every replica reads. The engine's services stay
 * free of it: the replication service (src/services/replication.ts) publishes and applies.
 */
export interface EventBus {
  /** Where the bus is, safe to print (no credentials). */
  readonly location: string;
  /** The log's name on the bus (the NATS stream). */
  readonly stream: string;
  /** Connected, trying to reconnect (publishing fails meanwhile; the store keeps the events), or closed. */
  readonly state: BusState;
  /** This process's id, carried by each message it publishes. */
  readonly origin: string;
  /** Appends a message to the log; resolves once the bus has stored it. */
  publish(message: BusMessage): Promise<void>;
  /**
   * Calls `onMessage` for each message in log order, one at a time: those stored since `fromMs` first
   * (marked catchUp; none when fromMs is null), then each new one as it arrives.
   */
  subscribe(
    fromMs: number | null,
    onMessage: (delivered: DeliveredMessage) => Promise<void> | void,
  ): Promise<BusSubscription>;
  close(): Promise<void>;
}

/** The bus answered no (unreachable, refused): a one-line message for the user. */
export class BusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BusError";
  }
}

/** A fresh id for a publishing process. */
export function newOrigin(): string {
  return `${process.pid.toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(36)}`;
}
