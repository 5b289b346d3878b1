import { CatalogueIndex } from "../core/matching/index.js";
import { mineRewrites } from "../core/rewriting/mine.js";
import type { OnlineRewriter } from "../core/rewriting/online/online-rewriter.js";
import { trainOnlineRewriter } from "../core/rewriting/online/train.js";
import { signalReasons } from "../core/rewriting/rephrase.js";
import type {
  RewriteRule,
  RewriteStats,
  RewriteTable,
  RewriteTableOptions,
} from "../core/rewriting/rewrite-table.js";
import { RewriteMonitor, type RewriteStatus } from "../core/rewriting/self-aware.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { loadCurrentRewriteTable, saveRewriteTable } from "../pipeline/rewrite-files.js";
import type { RequestEvent } from "../schema/events.js";
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

  constructor(private readonly ctx: ServiceContext) {}

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
    const saved = saveRewriteTable(this.ctx.modelsDir, table);
    this.served = { version: saved.version, table, monitor: RewriteMonitor.fromTable(table) };
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
      this.served = loaded ? { ...loaded, monitor: RewriteMonitor.fromTable(loaded.table) } : null;
    }
    return this.served;
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
    this.online?.observe(turn);
    const monitor = this.served?.monitor;
    if (monitor) {
      const source = event.rewrittenFrom ?? event.text;
      if (monitor.status(source))
        monitor.record(
          source,
          event.rewrittenFrom !== undefined,
          signalReasons(turn, undefined).length === 0,
        );
    }
  }

  /**
   * The rewrite to serve for this request, if any: a table rule unless its monitor withdrew it or this
   * request falls in the hold-out share; else, when enabled, the online layers.
   */
  async rewriteFor(user: string, request: string, timeMs: number): Promise<AppliedRewrite | null> {
    const rewrites = await this.current();
    const rule = rewrites?.table.lookup(request);
    const decision = rule && rewrites ? rewrites.monitor.decide(request, this.ctx.draws) : null;
    if (rule && decision === "rewrite") return { from: request, to: rule.rewrite, by: "markov" };
    if (!rule && this.online) {
      const r = this.online.rewrite({ user, text: request, timeMs });
      if (r.rewritten && r.layer) return { from: request, to: r.text, by: r.layer };
    }
    return null;
  }
}
