import type { LoggedPage } from "../core/bandits/fitted-pages.js";
import {
  type BanditPolicy,
  EpsilonGreedyPolicy,
  policyFromState,
  ThompsonSegmentPolicy,
} from "../core/bandits/policies.js";
import { seenSlots } from "../core/bandits/slate.js";
import { lineBatches, notUtf8Reason } from "../ingest/files.js";
import type { CatalogueItem } from "../schema/events.js";
import {
  type FeedbackEvent,
  feedbackEventSchema,
  type ImpressionEvent,
  impressionEventSchema,
  rewardStreamMs,
} from "../schema/impressions.js";
import type { AppendResult, ImpressionWithFeedback, StoredPolicy } from "../store/event-store.js";
import type { ServiceContext } from "./context.js";
import type { ArmStat, HomeReport, PolicyStatus } from "./home-types.js";

export type { ArmStat, HomeReport, PolicyStatus };

export interface HomeShelf {
  slot: number;
  impressionId: string;
  item: string;
  title: string;
  /** Why this shelf is here, in words (BaRT's "explain"). */
  explanation: string;
  /** The live policy's probability of this item in this slot for this context. */
  propensity: number;
  propensitySamples?: number;
  /** Shown by exploration rather than as the policy's best guess. */
  explored: boolean;
}

export interface HomePage {
  user: string;
  pageId: string;
  policy: string;
  policyVersion: string;
  shelves: HomeShelf[];
}

export interface HomeOptions {
  /** "epsilon-greedy" (exact propensities; BaRT's policy) or "ts-segment" (Monte Carlo propensities). */
  policy?: "epsilon-greedy" | "ts-segment";
  epsilon?: number;
  /** Contexts are hashed into this many segments, each learning its own stream rates. */
  segments?: number;
  /** Candidates: the first this many catalogue items. */
  maxCandidates?: number;
  /** Slots visible without scrolling: with no stream only these count as seen (cascade). */
  initiallyVisible?: number;
  /** Monte Carlo draws behind Thompson propensities. */
  propensitySamples?: number;
}

const policyName = "home";

/** The catalogue has no items to make shelves of. */
export class NoShelvesError extends Error {
  constructor() {
    super("the catalogue is empty: ingest items (with --catalogue) before serving home shelves");
    this.name = "NoShelvesError";
  }
}

/** FNV-1a of the context string: a stable segment for "phone|morning" across restarts. */
function segmentOf(context: string | undefined, segments: number): number {
  if (!context) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < context.length; i++) h = Math.imul(h ^ context.charCodeAt(i), 0x01000193);
  return (h >>> 0) % segments;
}

function explain(item: CatalogueItem): string {
  if (item.tags.length > 0) return `more ${item.tags[0]}`;
  if (item.creators.length > 0) return `from ${item.creators[0]}`;
  return `popular ${item.kind}s`;
}

interface LivePolicy {
  policy: BanditPolicy;
  arms: string[];
  titles: string[];
  explanations: string[];
  version: number;
  frozen: boolean;
  updatedAtMs: number;
}

/**
 * Home shelves that learn: a bandit policy over shelves fills the page, every slot is logged as an impression
 * with its propensity, and feedback (streams, dismissals) updates the live policy by the cascade rule. The
 * policy's state is stored after learning, so a restart continues where it stopped.
 */
export class HomeService {
  private live: LivePolicy | null = null;
  private loading: Promise<LivePolicy> | null = null;
  private pageCounter = 0;
  private readonly learnedPages = new Set<string>();
  private saveTimer: NodeJS.Timeout | null = null;
  private readonly options: Required<HomeOptions>;
  private readonly random: () => number;
  /** Runs a store write; a server passes its store lock so scheduled saves never interleave with its writes. */
  private writeLock: <T>(write: () => Promise<T>) => Promise<T> = (write) => write();

  constructor(
    private readonly ctx: ServiceContext,
    options: HomeOptions = {},
  ) {
    this.options = {
      policy: options.policy ?? "epsilon-greedy",
      epsilon: options.epsilon ?? 0.1,
      segments: options.segments ?? 16,
      maxCandidates: options.maxCandidates ?? 1000,
      initiallyVisible: options.initiallyVisible ?? 3,
      propensitySamples: options.propensitySamples ?? 200,
    };
    this.random = () => ctx.draws.next();
  }

  useWriteLock(lock: <T>(write: () => Promise<T>) => Promise<T>): void {
    this.writeLock = lock;
  }

  /** The live policy: the stored one, or a new one over the catalogue's first items. */
  private async policy(): Promise<LivePolicy> {
    if (this.live) return this.live;
    this.loading ??= this.load();
    try {
      this.live = await this.loading;
    } finally {
      this.loading = null;
    }
    return this.live;
  }

  private async load(): Promise<LivePolicy> {
    const stored = (await this.ctx.store.listPolicies()).find((p) => p.name === policyName);
    if (stored) {
      const s = stored.state as {
        policy: Parameters<typeof policyFromState>[0];
        arms: string[];
        titles: string[];
        explanations: string[];
      };
      return {
        ...s,
        policy: policyFromState(s.policy),
        version: stored.version,
        frozen: stored.frozen,
        updatedAtMs: stored.updatedAtMs,
      };
    }
    const items = (await this.ctx.store.getItems()).slice(0, this.options.maxCandidates);
    if (items.length === 0) throw new NoShelvesError();
    const n = items.length;
    const policy =
      this.options.policy === "ts-segment"
        ? new ThompsonSegmentPolicy(n, this.options.segments, 1, 99, policyName)
        : new EpsilonGreedyPolicy(n, this.options.segments, this.options.epsilon, policyName);
    return {
      policy,
      arms: items.map((i) => i.id),
      titles: items.map((i) => i.title),
      explanations: items.map(explain),
      version: 1,
      frozen: false,
      updatedAtMs: Date.now(),
    };
  }

  /** Fills a page for the user (without logging it): what the policy would show now. */
  async choose(
    user: string,
    options: { slots?: number; context?: string; now?: Date } = {},
  ): Promise<{ page: HomePage; impressions: ImpressionEvent[] }> {
    const live = await this.policy();
    const slots = Math.min(options.slots ?? 12, live.arms.length);
    const segment = segmentOf(options.context, this.options.segments);
    const rng = this.ctx.draws;
    const slate = live.policy.choose({ segment }, slots, rng, this.options.propensitySamples);
    const time = (options.now ?? new Date()).toISOString();
    const pageId = `${Date.now().toString(36)}-${(this.pageCounter++).toString(36)}-${Math.floor(this.random() * 2 ** 32).toString(36)}`;
    const shelves: HomeShelf[] = Array.from(slate.arms, (arm, slot) => ({
      slot,
      impressionId: `${pageId}:${slot}`,
      item: live.arms[arm],
      title: live.titles[arm],
      explanation: slate.explored[slot]
        ? `${live.explanations[arm]} (something new)`
        : live.explanations[arm],
      propensity: slate.propensities[slot],
      ...(slate.propensitySamples ? { propensitySamples: slate.propensitySamples } : {}),
      explored: slate.explored[slot],
    }));
    const impressions: ImpressionEvent[] = shelves.map((s) => ({
      impressionId: s.impressionId,
      pageId,
      user,
      time,
      surface: "home",
      slot: s.slot,
      item: s.item,
      title: s.title,
      policy: live.policy.name,
      policyVersion: String(live.version),
      propensity: s.propensity,
      ...(s.propensitySamples ? { propensitySamples: s.propensitySamples } : {}),
      context: { segment, ...(options.context ? { context: options.context } : {}) },
    }));
    return {
      page: { user, pageId, policy: live.policy.name, policyVersion: String(live.version), shelves },
      impressions,
    };
  }

  /** A page for the user, logged as impressions. */
  async page(
    user: string,
    options: { slots?: number; context?: string; now?: Date } = {},
  ): Promise<HomePage> {
    const { page, impressions } = await this.choose(user, options);
    await this.ctx.store.appendImpressions(impressions, "serve");
    return page;
  }

  /** Impressions logged elsewhere (another server, a client), validated by the caller. */
  recordImpressions(events: readonly ImpressionEvent[], source: string): Promise<AppendResult> {
    return this.ctx.store.appendImpressions(events, source);
  }

  /**
   * Stores feedback and teaches the live policy. A stream of 30 s or more is a reward at its slot and the
   * slots before it were seen and passed over; a shorter stream is a look without a reward; a dismissal
   * means only the initially visible slots were seen. Clicks are stored but not learned from (a stream
   * follows a click that mattered). Each page teaches once; pages of other policies or versions are kept
   * for off-policy evaluation only.
   */
  async feedback(
    events: readonly FeedbackEvent[],
    source: string,
  ): Promise<AppendResult & { learnedPages: number }> {
    const stored = await this.ctx.store.appendFeedback(events, source);
    // A store with no catalogue has no live policy to teach, yet its feedback on impressions logged elsewhere
    // (an imported log, a simulated one) is still worth keeping: stored, nothing learned.
    const learnedPages = await this.learn(events).catch((err) => {
      if (err instanceof NoShelvesError) return 0;
      throw err;
    });
    return { ...stored, learnedPages };
  }

  /**
   * Teaches the live policy from feedback already stored (here, or by another replica, whose impressions
   * are in the shared store); returns the pages learned from. Each page teaches once.
   */
  async learn(events: readonly FeedbackEvent[]): Promise<number> {
    const live = await this.policy();
    if (live.frozen) return 0;
    const teaching = events.filter((e) => e.kind !== "click");
    const shown = await this.ctx.store.scanImpressions({
      ids: [...new Set(teaching.map((e) => e.impressionId))],
    });
    const byId = new Map(shown.map((r) => [r.impression.impressionId, r.impression]));
    let learnedPages = 0;
    const armOf = new Map(live.arms.map((id, k) => [id, k]));
    for (const event of teaching) {
      const impression = byId.get(event.impressionId);
      if (
        !impression?.pageId ||
        impression.policy !== live.policy.name ||
        this.learnedPages.has(impression.pageId)
      )
        continue;
      const page = (await this.ctx.store.scanImpressions({ pageId: impression.pageId })).map(
        (r) => r.impression,
      );
      page.sort((a, b) => a.slot - b.slot);
      const rewards = page.map(() => 0);
      let seen: number;
      if (event.kind === "dismiss") seen = Math.min(this.options.initiallyVisible, page.length);
      else {
        const at = page.findIndex((p) => p.slot === impression.slot);
        rewards[at] = (event.playedMs ?? 0) >= rewardStreamMs ? 1 : 0;
        seen = rewards[at] ? seenSlots(rewards, this.options.initiallyVisible) : at + 1;
      }
      const arms: number[] = [];
      const observed: number[] = [];
      for (let k = 0; k < seen; k++) {
        const arm = armOf.get(page[k].item);
        if (arm === undefined) continue;
        arms.push(arm);
        observed.push(rewards[k]);
      }
      const segment = Number(page[0].context?.segment ?? 0);
      live.policy.update({ segment }, arms, observed);
      this.learnedPages.add(impression.pageId);
      learnedPages++;
    }
    if (learnedPages > 0) this.scheduleSave();
    return learnedPages;
  }

  /**
   * Reads impressions or feedback from JSON-lines files (gzip ok). Each line is validated on its own: valid
   * rows are stored (feedback also teaches the live policy), invalid ones come back with file, line and reason.
   */
  async ingestFiles(
    files: readonly string[],
    kind: "impressions" | "feedback",
    onProgress?: (rows: number) => void,
  ): Promise<{
    accepted: number;
    duplicates: number;
    rejected: number;
    rejects: Array<{ file: string; line: number; reason: string }>;
  }> {
    const total = {
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      rejects: [] as Array<{ file: string; line: number; reason: string }>,
    };
    for (const file of files) {
      for await (const { lines, first, notUtf8 } of lineBatches(file)) {
        const bytesBad = new Set(notUtf8);
        const impressions: ImpressionEvent[] = [];
        const feedback: FeedbackEvent[] = [];
        lines.forEach((text, k) => {
          if (text.trim() === "") return;
          const reject = (reason: string) => {
            total.rejected++;
            if (total.rejects.length < 1000) total.rejects.push({ file, line: first + k, reason });
          };
          if (bytesBad.has(k)) {
            reject(notUtf8Reason);
            return;
          }
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch {
            reject("not valid JSON");
            return;
          }
          const parsed = (kind === "impressions" ? impressionEventSchema : feedbackEventSchema).safeParse(
            value,
          );
          if (!parsed.success) {
            const issue = parsed.error.issues[0];
            reject(`${issue.path.join(".") || "row"}: ${issue.message}`);
            return;
          }
          if (kind === "impressions") impressions.push(parsed.data as ImpressionEvent);
          else feedback.push(parsed.data as FeedbackEvent);
        });
        const stored =
          kind === "impressions"
            ? await this.recordImpressions(impressions, file)
            : await this.feedback(feedback, file);
        total.accepted += stored.inserted;
        total.duplicates += stored.duplicates;
        onProgress?.(first + lines.length - 1);
      }
    }
    return total;
  }

  /** Saves at most once a second while feedback streams in; flush() saves now. */
  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.writeLock(() => this.save());
    }, 1000);
    this.saveTimer.unref();
  }

  private async save(): Promise<void> {
    const live = this.live;
    if (!live) return;
    live.version += 1;
    live.updatedAtMs = Date.now();
    const record: StoredPolicy = {
      name: policyName,
      version: live.version,
      frozen: live.frozen,
      updatedAtMs: live.updatedAtMs,
      state: {
        policy: live.policy.state(),
        arms: live.arms,
        titles: live.titles,
        explanations: live.explanations,
      },
    };
    await this.ctx.store.savePolicy(record);
  }

  /** Writes pending policy state now (before close). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      await this.save();
    }
  }

  /** Stops (or resumes) learning; the frozen state is stored as a new version. */
  async freeze(frozen: boolean): Promise<PolicyStatus> {
    const live = await this.policy();
    live.frozen = frozen;
    await this.save();
    return (await this.status())[0];
  }

  /** The live policy's state, for `tastebud bandit status`. */
  async status(): Promise<PolicyStatus[]> {
    const live = await this.storedOrLive();
    if (!live) return [];
    const arms = armStats(live);
    const top = arms
      .filter((a) => a.displays >= 5)
      .sort((a, b) => b.rate - a.rate)
      .slice(0, 5)
      .map(({ title: _, ...a }) => a);
    const state = live.policy.state() as { nSegments?: number };
    return [
      {
        name: live.policy.name,
        kind: live.policy.kind,
        version: live.version,
        frozen: live.frozen,
        updatedAt: new Date(live.updatedAtMs).toISOString(),
        arms: live.arms.length,
        segments: state.nSegments ?? 1,
        displays: arms.reduce((s, a) => s + a.displays, 0),
        streams: arms.reduce((s, a) => s + a.streams, 0),
        top,
      },
    ];
  }

  /**
   * The stored impression log as pages, for a simulator fitted to it (`bandit simulate --env fitted
   * --impressions STORE`): impressions grouped by page (or by user and time when they carry no page id),
   * ordered by slot, a stream of 30 s or more a reward. Judged slots are those up to the stream, or all of a
   * page without one: the simulator's users scan the whole page and stop at their stream (its expected reward
   * is 1 - prod(1 - p) over every slot), so a page without a stream is a "no" on each of its slots. (The live
   * policy learns more cautiously, counting only the first slots of such a page as seen.)
   */
  async loggedPages(): Promise<{ pages: LoggedPage[]; users: string[]; items: string[] }> {
    const rows = await this.ctx.store.scanImpressions();
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    const byPage = new Map<string, ImpressionWithFeedback[]>();
    for (const r of rows) {
      const key = r.impression.pageId ?? `${r.impression.user}\u0000${r.impression.time}`;
      const page = byPage.get(key);
      if (page) page.push(r);
      else byPage.set(key, [r]);
    }
    const indexOf = (map: Map<string, number>, id: string) => {
      let i = map.get(id);
      if (i === undefined) {
        i = map.size;
        map.set(id, i);
      }
      return i;
    };
    const pages: LoggedPage[] = [];
    for (const page of byPage.values()) {
      page.sort((a, b) => a.impression.slot - b.impression.slot);
      const rewards = page.map((r) =>
        r.feedback.some((f) => f.kind === "stream" && (f.playedMs ?? 0) >= rewardStreamMs) ? 1 : 0,
      );
      pages.push({
        user: indexOf(users, page[0].impression.user),
        timeMs: Date.parse(page[0].impression.time),
        items: page.map((r) => indexOf(items, r.impression.item)),
        propensities: page.map((r) => r.impression.propensity),
        rewards,
        seen: seenSlots(rewards, rewards.length),
      });
    }
    return { pages, users: [...users.keys()], items: [...items.keys()] };
  }

  /**
   * What the home shelves have done, for the dashboard: the live policy's state, its most shown shelves
   * with their stream rates as the policy counts them, and the impression log per slot and per day
   * (a stream of 30 s or more is a reward, as the policy learns it).
   */
  async report(options: { arms?: number } = {}): Promise<HomeReport> {
    const live = await this.storedOrLive();
    const [policy] = await this.status();
    const arms = live
      ? armStats(live)
          .filter((a) => a.displays > 0)
          .sort((a, b) => b.displays - a.displays || b.rate - a.rate)
          .slice(0, options.arms ?? 30)
      : [];
    return { policy: policy ?? null, arms, log: await this.ctx.store.impressionSummary(rewardStreamMs) };
  }

  /** The live policy when one is stored or serving; null before the first page (no policy is made here). */
  private async storedOrLive(): Promise<LivePolicy | null> {
    const stored = (await this.ctx.store.listPolicies()).filter((p) => p.name === policyName);
    if (stored.length === 0 && !this.live) return null;
    return this.policy();
  }
}

/** Displays and streams per arm, summed over the policy's segments. */
function armStats(live: LivePolicy): ArmStat[] {
  const state = live.policy.state() as { displays?: number[]; successes?: number[] };
  const n = live.arms.length;
  const displays = new Float64Array(n);
  const streams = new Float64Array(n);
  (state.displays ?? []).forEach((d, k) => {
    displays[k % n] += d;
  });
  (state.successes ?? []).forEach((x, k) => {
    streams[k % n] += x;
  });
  return live.arms.map((item, k) => ({
    item,
    title: live.titles[k],
    displays: displays[k],
    streams: streams[k],
    rate: displays[k] > 0 ? streams[k] / displays[k] : 0,
  }));
}
