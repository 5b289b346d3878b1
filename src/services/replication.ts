import type { BusMessage, BusState, BusSubscription, DeliveredMessage, EventBus } from "../bus/event-bus.js";
import { eventTimeMs, type PlayEvent, type RequestEvent } from "../schema/events.js";
import type { FeedbackEvent } from "../schema/impressions.js";
import type { HomeService } from "./home.js";
import type { PreferencesService } from "./preferences.js";
import { modelReadAtMs, ReplicatedFoldIns } from "./replicated-fold-ins.js";
import type { RewritesService } from "./rewrites.js";
import type { ServingModels } from "./serving-model.js";

/**
 * Events per bus message: a NATS server takes messages of at most 1 MB by default, and an event is a few
 * hundred bytes of JSON, while an HTTP batch may hold 10,000 and an ingest batch 20,000.
 */
const eventsPerMessage = 1_000;

/** `events` in slices of eventsPerMessage. */
function* slices<T>(events: readonly T[]): Generator<T[]> {
  for (let at = 0; at < events.length; at += eventsPerMessage) yield events.slice(at, at + eventsPerMessage);
}

/** What replication has done since start, for the metrics and the cluster bench. */
export interface ReplicationStats {
  published: number;
  publishFailures: number;
  applied: number;
  /** When the latest message was applied here (epoch ms; null before the first). */
  lastAppliedAtMs: number | null;
  /** Messages of other replicas applied, and how long after the bus stored them (ms), the latest 1,000. */
  applyDelaysMs: number[];
}

/**
 * Several serving replicas that answer alike: each publishes what it accepted on the bus after the store
 * committed it, and applies what the others published: plays (fold-in), request turns (the rewrite
 * monitor and online rewriter), changed preferences (read again from the store) and home feedback (the
 * bandit policy). Without a bus every method does nothing and the engine serves as one process.
 */
export class ReplicationService {
  private subscription: BusSubscription | null = null;
  private foldIn = false;
  private readonly foldIns: ReplicatedFoldIns;
  readonly stats: ReplicationStats = {
    published: 0,
    publishFailures: 0,
    applied: 0,
    lastAppliedAtMs: null,
    applyDelaysMs: [],
  };

  constructor(
    private readonly bus: EventBus | null,
    private readonly models: ServingModels,
    private readonly services: {
      preferences: PreferencesService;
      rewrites: RewritesService;
      home: HomeService;
    },
  ) {
    this.foldIns = new ReplicatedFoldIns(models, models.maxFoldedInUsers);
  }

  /** Whether this engine is one of several replicas on a bus. */
  get active(): boolean {
    return this.bus !== null;
  }

  /** Where the bus is (null without one). */
  get location(): string | null {
    return this.bus?.location ?? null;
  }

  /** The bus's stream and this process's connection to it (null without a bus). */
  get connection(): { stream: string; state: BusState } | null {
    return this.bus ? { stream: this.bus.stream, state: this.bus.state } : null;
  }

  /**
   * Starts applying what the other replicas publish. With `foldIn`, plays are folded in, first those
   * published since the current model was made (a restarted replica catches up on them); preferences,
   * the rewrite monitor and the bandit policy come back from the store, then follow live messages.
   */
  async start(options: { foldIn: boolean }): Promise<void> {
    if (!this.bus || this.subscription) return;
    this.foldIn = options.foldIn;
    const current = options.foldIn ? await this.models.current() : null;
    const fromMs = current ? modelReadAtMs(current) : null;
    this.subscription = await this.bus.subscribe(fromMs, (d) => this.apply(d));
  }

  /**
   * Plays this replica just stored (only the new ones): folded in here at once when fold-in is on (the
   * users folded in are returned), then published for the others.
   */
  async playsAccepted(plays: ReadonlyArray<{ key: bigint; event: PlayEvent }>): Promise<string[] | null> {
    if (!this.bus || plays.length === 0) return null;
    const keyed = plays.map((p) => ({ key: p.key.toString(), event: p.event }));
    let foldedIn: string[] | null = null;
    if (this.foldIn && (await this.models.current())) foldedIn = await this.foldInPlays(keyed, Date.now());
    for (const plays of slices(keyed)) await this.publish({ kind: "plays", plays });
    return foldedIn;
  }

  /** Request turns this replica stored and observed. */
  async requestsAccepted(events: readonly RequestEvent[]): Promise<void> {
    for (const slice of slices(events)) await this.publish({ kind: "requests", events: slice });
  }

  /** A user's taught preferences changed in the store. */
  preferencesChanged(user: string): Promise<void> {
    return this.publish({ kind: "preferences", user });
  }

  /** Home feedback this replica stored and learned from. */
  async feedbackAccepted(events: readonly FeedbackEvent[]): Promise<void> {
    for (const slice of slices(events)) await this.publish({ kind: "feedback", events: slice });
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = null;
    await this.bus?.close();
  }

  private async publish(message: BusMessage): Promise<void> {
    if (!this.bus) return;
    try {
      await this.bus.publish(message);
      this.stats.published++;
    } catch {
      // The store has the events (the source of truth): a bus away only delays the others' fold-in and
      // counts until the next model; serving goes on.
      this.stats.publishFailures++;
    }
  }

  private async foldInPlays(
    plays: ReadonlyArray<{ key: string; event: PlayEvent }>,
    stampMs: number,
  ): Promise<string[]> {
    const byUser = new Map<string, Array<{ key: string; event: PlayEvent }>>();
    for (const p of plays) {
      const list = byUser.get(p.event.user);
      if (list) list.push(p);
      else byUser.set(p.event.user, [p]);
    }
    for (const [user, list] of byUser) await this.foldIns.add(user, list, stampMs);
    return [...byUser.keys()];
  }

  private async apply(d: DeliveredMessage): Promise<void> {
    const own = this.bus?.origin === d.origin;
    const m = d.message;
    // A replay (catchUp) brings back fold-ins only: the store already holds the preferences, and the
    // monitor's and policy's counts as the others last saved them.
    if (m.kind === "plays") {
      if (this.foldIn) await this.foldInPlays(m.plays, d.stampMs);
    } else if (d.catchUp || own) {
      return;
    } else if (m.kind === "requests") {
      for (const event of [...m.events].sort((a, b) => eventTimeMs(a.time) - eventTimeMs(b.time)))
        this.services.rewrites.observe(event);
    } else if (m.kind === "preferences") {
      await this.services.preferences.reload(m.user);
    } else if (m.kind === "feedback") {
      await this.services.home.learn(m.events);
    }
    this.stats.applied++;
    this.stats.lastAppliedAtMs = Date.now();
    if (!own && !d.catchUp) {
      const delays = this.stats.applyDelaysMs;
      delays.push(Date.now() - d.stampMs);
      if (delays.length > 1000) delays.shift();
    }
  }
}
