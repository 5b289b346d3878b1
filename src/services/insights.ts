import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { type WeightingName, weightingFunctions, weightingNames } from "../core/affinity/weighting.js";
import { principalPlane } from "../core/projection/index.js";
import { detectDefects } from "../core/rewriting/defects.js";
import { turnFromEvent } from "../core/voice/turn.js";
import { fsyncDir, writeFileSynced } from "../pipeline/model-files.js";
import type { ServiceContext } from "./context.js";
import type { DailyRequests, EvaluationRecord, ItemMap, Overview, UserHistory } from "./insights-types.js";
import { round6, type ServingModel } from "./serving-model.js";
import type { VoiceService } from "./voice.js";

/**
 * What the engine knows, as the dashboard shows it: the store at a glance, a user's history, the item space
 * as a map, neighbours in taste, the request log's defects per day, and the evaluation records that `eval`
 * keeps. Read-only except recordEvaluation.
 */
export class InsightsService {
  private mapCache: { version: string; limit: number; map: ItemMap } | null = null;
  private failureCache: { requests: number; report: FailureReport } | null = null;
  private dailyCache: { requests: number; daily: DailyRequests } | null = null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly voice: VoiceService,
  ) {}

  async overview(): Promise<Overview> {
    const { store, models } = this.ctx;
    const summary = await store.summary({ topUsers: 10 });
    const current = await models.current();
    const versions = await store.listModels();
    const m = current?.manifest;
    return {
      store: summary,
      model: m
        ? {
            version: m.version,
            createdAt: m.createdAt,
            config: m.config,
            dataWindow: m.dataWindow,
            metrics: m.metrics,
            factors: m.factors,
            rule: { ...m.rule },
            trainingCurve: m.trainingCurve ?? [],
            topN: m.topN
              ? {
                  name: m.topN.name,
                  validation: {
                    share: m.topN.validation.share,
                    cut: m.topN.validation.cut ?? "latest",
                    users: m.topN.validation.users,
                    best: m.topN.validation.best,
                    skipped: m.topN.validation.skipped,
                    guard: m.topN.validation.guard ?? null,
                  },
                  recommender: m.topN.choice.recommender,
                }
              : null,
          }
        : null,
      models: versions.map((v) => ({
        version: v.version,
        createdAt: v.createdAt.toISOString(),
        isCurrent: v.isCurrent ?? false,
      })),
      evaluations: this.evaluationFiles().length,
      weighting: weightingCurves(),
    };
  }

  /** A user's latest plays (newest first) with titles, and whether the served model counts each a skip. */
  async history(user: string, limit = 50): Promise<UserHistory> {
    const plays = await this.ctx.store.recentPlays(user, limit);
    const current = await this.ctx.models.current();
    // Titles and creators from the catalogue the serving model holds (as recommendations show them); the
    // store is asked only for items described since that model was loaded. Each look-up was two store
    // queries, the catalogue's a scan of the items table (about 40% of the route's store time).
    const titles = new Map<string, { title: string; creators: readonly string[] }>();
    const missing = new Set<string>();
    for (const { item } of plays) {
      const at = current?.view.byId.get(item);
      if (current && at !== undefined && at < current.view.described) titles.set(item, current.view.all[at]);
      else missing.add(item);
    }
    if (missing.size) for (const i of await this.ctx.store.getItems([...missing])) titles.set(i.id, i);
    const threshold = current?.manifest.rule.thresholdMs ?? 30_000;
    return {
      user,
      plays: plays.map((p) => {
        const item = titles.get(p.item);
        return {
          item: p.item,
          title: item?.title ?? p.item,
          creators: item ? [...item.creators] : [],
          endTime: new Date(p.endTimeMs).toISOString(),
          playedMs: p.playedMs,
          itemLengthMs: p.itemLengthMs,
          completion: p.itemLengthMs ? round6(Math.min(1, p.playedMs / p.itemLengthMs)) : null,
          skip: p.playedMs < threshold,
          endReason: p.endReason,
          deviceType: p.deviceType,
          requestText: p.requestText,
        };
      }),
    };
  }

  /**
   * The most played items' factor vectors projected onto their two principal axes (core/projection), for a
   * scatter plot of the item space; computed once per model version and size.
   */
  async itemMap(limit = 1500): Promise<ItemMap> {
    const current = await this.ctx.models.require();
    const version = current.manifest.version;
    if (this.mapCache?.version === version && this.mapCache.limit === limit) return this.mapCache.map;
    const map = projectItems(current, limit);
    this.mapCache = { version, limit, map };
    return map;
  }

  /**
   * Request turns and defective ones per UTC day (defects as the rewrite miner judges them); the whole log is
   * scanned only when new requests arrived since the last answer (the request log is append-only, so its
   * count changes whenever its content does).
   */
  async requestsDaily(): Promise<DailyRequests> {
    const requests = await this.ctx.store.countRequests();
    if (this.dailyCache?.requests !== requests) {
      this.dailyCache = { requests, daily: await this.scanRequestsDaily() };
    }
    return this.dailyCache.daily;
  }

  private async scanRequestsDaily(): Promise<DailyRequests> {
    const turns = (await this.ctx.store.scanRequests()).map(turnFromEvent);
    const verdicts = detectDefects(turns);
    const byDay = new Map<string, { turns: number; defective: number }>();
    const reasons: Record<string, number> = {};
    turns.forEach((t, k) => {
      const day = new Date(t.timeMs).toISOString().slice(0, 10);
      const d = byDay.get(day) ?? { turns: 0, defective: 0 };
      d.turns++;
      if (verdicts[k].defective) d.defective++;
      for (const r of verdicts[k].reasons) reasons[r] = (reasons[r] ?? 0) + 1;
      byDay.set(day, d);
    });
    const days = [...byDay.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([day, d]) => ({ day, ...d, defectRate: round6(d.defective / d.turns) }));
    return { days, reasons };
  }

  /**
   * The failure-point report over the stored request log, recomputed only when new requests arrived; an
   * empty report (classifier "none") while the store holds no requests.
   */
  async failures(): Promise<FailureReport> {
    const requests = await this.ctx.store.countRequests();
    if (requests === 0) {
      const none = { turns: 0, failures: 0, byStage: {}, byIntent: {}, byDevice: {}, worstStage: null };
      return { ...none, classifier: "none", labelled: {} };
    }
    if (this.failureCache?.requests !== requests) {
      this.failureCache = { requests, report: await this.voice.failureReport() };
    }
    return this.failureCache.report;
  }

  /** Keeps an evaluation report beside the model versions (atomic write), for the dashboard and later runs. */
  recordEvaluation(kind: string, command: string, report: unknown): EvaluationRecord {
    const dir = evaluationsDir(this.ctx.modelsDir);
    mkdirSync(dir, { recursive: true });
    // Named by the millisecond (bumped past any taken one) so that name order is time order.
    const stamp = (t: number) => `e${String(t).padStart(15, "0")}`;
    const taken = new Set(this.evaluationFiles().map((f) => f.slice(0, 16)));
    let ms = Date.now();
    while (taken.has(stamp(ms))) ms++;
    const id = `${stamp(ms)}-${kind.replace(/[^a-z0-9-]/gi, "_")}`;
    const record: EvaluationRecord = { id, kind, createdAt: new Date(ms).toISOString(), command, report };
    const tmp = join(dir, `.tmp-${id}-${process.pid}`);
    writeFileSynced(tmp, JSON.stringify(record));
    renameSync(tmp, join(dir, `${id}.json`));
    fsyncDir(dir);
    return record;
  }

  /** Evaluation records, newest first (of one kind, when given). */
  evaluations(kind?: string, limit = 50): EvaluationRecord[] {
    const dir = evaluationsDir(this.ctx.modelsDir);
    const records: EvaluationRecord[] = [];
    for (const file of this.evaluationFiles().reverse()) {
      if (records.length >= limit) break;
      try {
        const record = JSON.parse(readFileSync(join(dir, file), "utf8")) as EvaluationRecord;
        if (kind === undefined || record.kind === kind) records.push(record);
      } catch {
        // A record from another release that does not parse is skipped, not fatal to the page.
      }
    }
    return records;
  }

  private evaluationFiles(): string[] {
    const dir = evaluationsDir(this.ctx.modelsDir);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.startsWith("e") && f.endsWith(".json"))
      .sort();
  }
}

/** `tastebud failures` as the API answers it: which stage fails, per intent and device. */
export type FailureReport = Omit<Awaited<ReturnType<VoiceService["failureReport"]>>, "classifier"> & {
  classifier: "given" | "simulated" | "none";
};

export function evaluationsDir(modelsDir: string): string {
  return join(modelsDir, "evaluations");
}

function weightingCurves(): Overview["weighting"] {
  const out: Overview["weighting"] = [];
  for (const name of weightingNames as readonly WeightingName[])
    for (let s = 0; s <= 20; s++) {
      const x = s / 20;
      out.push({ name, x, weight: round6(weightingFunctions[name](x)) });
    }
  return out;
}

function projectItems(current: ServingModel, limit: number): ItemMap {
  const { model, view, manifest } = current;
  const k = model.factors.factors;
  const order = Array.from(model.items.keys())
    .sort((a, b) => model.popularity[b] - model.popularity[a] || a - b)
    .slice(0, limit);
  const rows = new Float32Array(order.length * k);
  for (let r = 0; r < order.length; r++)
    rows.set(model.factors.itemFactors.subarray(order[r] * k, (order[r] + 1) * k), r * k);
  const plane = principalPlane(rows, k);
  const share = (v: number) => (plane.totalVariance > 0 ? round6(v / plane.totalVariance) : 0);
  return {
    model: manifest.version,
    explained: [share(plane.variance[0]), share(plane.variance[1])],
    points: order.map((i, r) => {
      const entry = view.byModelIndex[i];
      return {
        item: model.items[i],
        title: entry?.title ?? model.items[i],
        creators: [...(entry?.creators ?? [])],
        kind: entry?.kind ?? "other",
        tag: entry?.tags[0] ?? null,
        x: round6(plane.coordinates[2 * r]),
        y: round6(plane.coordinates[2 * r + 1]),
        popularity: model.popularity[i],
      };
    }),
  };
}
