import { CatalogueIndex } from "../core/matching/index.js";
import { normalizeText } from "../core/matching/normalize.js";
import { carryOver } from "../core/rewriting/carryover.js";
import { DialogueMemory } from "../core/rewriting/dialogue-memory.js";
import { mineRewrites } from "../core/rewriting/mine.js";
import type { OnlineRewriter } from "../core/rewriting/online/online-rewriter.js";
import { trainOnlineRewriter } from "../core/rewriting/online/train.js";
import type { RuleGate } from "../core/rewriting/precision.js";
import { signalReasons } from "../core/rewriting/rephrase.js";
import {
  type RewriteRule,
  type RewriteStats,
  RewriteTable,
  type RewriteTableOptions,
} from "../core/rewriting/rewrite-table.js";
import { RewriteMonitor, type RewriteMonitorJson, type RewriteStatus } from "../core/rewriting/self-aware.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { loadCurrentRewriteTable, saveRewriteTable } from "../pipeline/rewrite-files.js";
import type { PlayContext, RequestEvent } from "../schema/events.js";
import type { ServiceContext } from "./context.js";

/** The rewrite table with the monitor that judges each of its rules in serving. */
export interface ServedRewrites {
  version: string;
  table: RewriteTable;
  monitor: RewriteMonitor;
}

export interface RewriteBuildResult {
  version: string;
  path: string;
  turns: number;
  defective: number;
  rules: number;
  stats: RewriteStats;
  top: RewriteRule[];
}

/**
 * What serving learned on top of the built table, kept in the store under `rewritingStateName`: the monitor's
 * counts and withdrawals and the rules' per-user gates (both belong to the table version they were learned
 * on), and the dialogues still open. The online layers need no copy of their own: every turn they learn
 * from is in the stored request log, which `enableOnline` learns from again at start.
 */
export interface RewritingStateJson {
  format: "tastebud-rewriting-state";
  version: 1;
  /** The rewrite table version the monitor and gates were learned on (null: no table yet). */
  table: string | null;
  monitor: RewriteMonitorJson | null;
  gates: Record<string, RuleGate> | null;
  dialogues: Record<string, Array<{ text: string; timeMs: number }>>;
}

export const rewritingStateName = "rewriting";

/** How a request was rewritten before resolution (by: markov, global or personal). */
export interface AppliedRewrite {
  from: string;
  to: string;
  by: string;
}

/**
 * Self-learning from rephrases: the offline rewrite table (absorbing Markov chains over the request log),
 * the online rewriter's global and personal layers, and the monitor that withdraws rules that stop winning.
 */
export class RewritesService {
  /** The current rewrite table: undefined until first needed, null when none was built. */
  private served: ServedRewrites | null | undefined;
  /** The online rewriter (global and personal layers), when enabled; it learns from observed turns. */
  private online: OnlineRewriter | null = null;
  /** Each user's recent turns: the contextual layer rewrites a follow-up from them (carryover.ts). */
  private readonly dialogues = new DialogueMemory();
  /** The stored state, read once (undefined until then). */
  private stored: RewritingStateJson | null | undefined;
  private saveTimer: NodeJS.Timeout | null = null;
  /** Runs a store write; a server passes its store lock so scheduled saves never interleave with its writes. */
  private writeLock: <T>(write: () => Promise<T>) => Promise<T> = (write) => write();

  constructor(private readonly ctx: ServiceContext) {}

  useWriteLock(lock: <T>(write: () => Promise<T>) => Promise<T>): void {
    this.writeLock = lock;
  }

  /**
   * The offline rewrite batch (methods.md 2a): mines the stored request log for reformulations that turned
   * defective requests into successful ones and writes the table atomically as the current one. From then
   * on resolve rewrites a request that matches a source exactly, and says so.
   */
  async build(
    options: { table?: Partial<RewriteTableOptions> & { sessionGapMs?: number }; top?: number } = {},
  ): Promise<RewriteBuildResult> {
    const turns = (await this.ctx.store.scanRequests()).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const items = new Map((await this.ctx.store.getItems()).map((i) => [i.id, i]));
    const { table, verdicts } = mineRewrites(turns, {
      table: options.table,
      entities: (id) => items.get(id),
    });
    // The monitor's history of a rule mined again (the same source and rewrite) carries over, a withdrawal
    // included: a rebuild must not revive a rule serving took out because it stopped winning.
    const previous = (await this.current())?.monitor;
    const saved = saveRewriteTable(this.ctx.modelsDir, table);
    this.served = { version: saved.version, table, monitor: carriedMonitor(previous, table) };
    // Called under the server's store lock already (the build route holds it), so saved directly.
    await this.save();
    const top = [...table.rules].sort((a, b) => b.support - a.support || b.gain - a.gain);
    return {
      ...saved,
      turns: turns.length,
      defective: verdicts.filter((v) => v.defective).length,
      rules: table.size,
      stats: table.stats,
      top: top.slice(0, options.top ?? 20),
    };
  }

  /** The current rewrite table (the newest built), or null. */
  async current(): Promise<ServedRewrites | null> {
    if (this.served === undefined) {
      const loaded = loadCurrentRewriteTable(this.ctx.modelsDir);
      const state = await this.storedState();
      if (!loaded) this.served = null;
      else if (state?.table === loaded.version) {
        // The same table as when the state was saved: its gates and monitor go on where they stopped.
        const table = state.gates
          ? RewriteTable.fromJSON({ ...loaded.table.toJSON(), gates: state.gates })
          : loaded.table;
        const monitor = state.monitor
          ? RewriteMonitor.fromJSON(state.monitor)
          : RewriteMonitor.fromTable(table);
        this.served = { version: loaded.version, table, monitor };
      } else {
        // A table built since (by another process): its gates are fresh from the log; the monitor's
        // history carries over rule by rule, as in build.
        const previous = state?.monitor ? RewriteMonitor.fromJSON(state.monitor) : undefined;
        this.served = { ...loaded, monitor: carriedMonitor(previous, loaded.table) };
      }
    }
    return this.served;
  }

  /** The state stored by the last save (read once), its dialogues taken back into memory. */
  private async storedState(): Promise<RewritingStateJson | null> {
    if (this.stored === undefined) {
      const row = await this.ctx.store.loadState(rewritingStateName);
      const json = row?.state as Partial<RewritingStateJson> | undefined;
      this.stored =
        json?.format === "tastebud-rewriting-state" && json.version === 1
          ? (json as RewritingStateJson)
          : null;
      if (this.stored) this.dialogues.restore(this.stored.dialogues ?? {});
    }
    return this.stored;
  }

  /**
   * Reads the stored state before serving: the table's monitor and gates, and the open dialogues (which
   * a server needs even before any table exists). Idempotent.
   */
  async load(): Promise<void> {
    await this.storedState();
    await this.current();
  }

  /** The state to store now. */
  state(): RewritingStateJson {
    const served = this.served ?? null;
    return {
      format: "tastebud-rewriting-state",
      version: 1,
      table: served?.version ?? null,
      monitor: served?.monitor.toJSON() ?? null,
      gates: served?.table.toJSON().gates ?? null,
      dialogues: this.dialogues.toJSON(this.dialogues.latestTimeMs()),
    };
  }

  private async save(): Promise<void> {
    // Never write over a stored state this process has not read yet.
    await this.load();
    const state = this.state();
    await this.ctx.store.saveState(rewritingStateName, state);
    this.stored = state;
  }

  /** Saves at most once a second while turns stream in; flush() saves now. */
  private scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.writeLock(() => this.save()).catch(() => {
        // A closed store (shutdown in progress) loses at most this second; flush() saved before close.
      });
    }, 1000);
    this.saveTimer.unref();
  }

  /** Writes pending learned state now (before close). */
  async flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      await this.save();
    }
  }

  /** How each live rewrite is doing against its hold-out (self-awareness, methods.md 2b). */
  async statuses(): Promise<RewriteStatus[]> {
    return (await this.current())?.monitor.statuses() ?? [];
  }

  /**
   * Turns on online rewriting (methods.md 2e): a global layer of frequent successful requests and
   * reformulations and a personal layer per user, learned from the stored request log, asked when the
   * rewrite table has no exact match. It keeps learning from the turns passed to observe. Training takes
   * seconds on tens of thousands of turns, so servers enable it once at start.
   */
  async enableOnline(): Promise<{ turns: number; rewriteGroups: number; keepGroups: number }> {
    const turns = (await this.ctx.store.scanRequests()).map(turnFromEvent);
    if (turns.length === 0)
      throw new Error("the store holds no request events yet: ingest some with --requests");
    const items = (await this.ctx.store.getItems()).map((i) => ({
      id: i.id,
      title: i.title,
      creators: i.creators,
      kind: i.kind,
      tags: i.tags,
    }));
    const trained = trainOnlineRewriter(turns, {
      catalogue: new CatalogueIndex(items),
      items,
      rewriter: { layers: { markov: false, global: true, personal: true } },
    });
    this.online = trained.rewriter;
    return { turns: turns.length, rewriteGroups: trained.rewriteGroups, keepGroups: trained.keepGroups };
  }

  /**
   * Learns from a turn as it happens: the online rewriter's personal layer, and the monitor of a table
   * rewrite (a turn with `rewrittenFrom` counts for the rewrite, one of its source for the hold-out; success
   * is no barge-in, error or short play).
   */
  observe(event: RequestEvent): void {
    const turn = turnFromEvent(event);
    this.dialogues.add(event.user, event.text, turn.timeMs);
    this.online?.observe(turn);
    const worked = signalReasons(turn, undefined).length === 0;
    this.served?.table.observe(normalizeText(event.rewrittenFrom ?? event.text), {
      user: event.user,
      rewritten: event.rewrittenFrom !== undefined,
      worked,
      ...(event.resolvedItem !== undefined ? { item: event.resolvedItem } : {}),
    });
    const monitor = this.served?.monitor;
    if (monitor) {
      const source = event.rewrittenFrom ?? event.text;
      if (monitor.status(source)) monitor.record(source, event.rewrittenFrom !== undefined, worked);
    }
    this.scheduleSave();
  }

  /**
   * The rewrite to serve for this request, if any. First the contextual layer: a follow-up that leans on
   * the user's previous turns ("what about her other albums?") becomes self-contained (`by: "context"`).
   * Then a table rule where its gate finds it precise for this user and context, unless its monitor
   * withdrew it or this request falls in the hold-out share; else, when enabled, the online layers.
   */
  async rewriteFor(
    user: string,
    request: string,
    timeMs: number,
    context?: PlayContext,
  ): Promise<AppliedRewrite | null> {
    await this.storedState();
    this.scheduleSave();
    const carried = carryOver(request, this.dialogues.history(user, timeMs));
    if (carried.by !== null) {
      this.dialogues.add(user, carried.text, timeMs);
      const further = await this.rewriteStandalone(user, carried.text, timeMs, context);
      return {
        from: request,
        to: further?.to ?? carried.text,
        by: further ? `context+${further.by}` : "context",
      };
    }
    const applied = await this.rewriteStandalone(user, request, timeMs, context);
    this.dialogues.add(user, applied?.to ?? request, timeMs);
    return applied;
  }

  private async rewriteStandalone(
    user: string,
    request: string,
    timeMs: number,
    context?: PlayContext,
  ): Promise<AppliedRewrite | null> {
    const rewrites = await this.current();
    const found = rewrites?.table.decide(request, user, context);
    const rule = found?.apply ? found.rule : undefined;
    const decision = rule && rewrites ? rewrites.monitor.decide(request, this.ctx.draws) : null;
    if (rule && decision === "rewrite") return { from: request, to: rule.rewrite, by: "markov" };
    // A source the table has a rule for stays the table's business even where the rule does not apply
    // (gated out for this user, withdrawn): the online layers would otherwise bring back what it held back.
    if (!found && this.online) {
      const r = this.online.rewrite({ user, text: request, timeMs });
      if (r.rewritten && r.layer) return { from: request, to: r.text, by: r.layer };
    }
    return null;
  }
}

/** A monitor for `table`'s rules that keeps `previous`'s history of every rule mined again unchanged. */
function carriedMonitor(previous: RewriteMonitor | undefined, table: RewriteTable): RewriteMonitor {
  if (!previous) return RewriteMonitor.fromTable(table);
  const json = previous.toJSON();
  const live = new Set(table.rules.map((r) => `${normalizeText(r.source)}\u0000${normalizeText(r.rewrite)}`));
  const kept = RewriteMonitor.fromJSON({
    ...json,
    entries: json.entries.filter((e) => live.has(`${e.source}\u0000${e.rewrite}`)),
  });
  for (const r of table.rules) kept.add(r.source, r.rewrite);
  return kept;
}
