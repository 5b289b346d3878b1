import { basename } from "node:path";
import { isPostgresUrl } from "../store/postgres/postgres-store.js";
import type { ServiceContext } from "./context.js";
import type { ReplicationService } from "./replication.js";
import type { ModelSwap, ServingModels } from "./serving-model.js";
import type { ServingReport } from "./serving-report-types.js";

export type { ServingReport, SwapView } from "./serving-report-types.js";

/** Registry versions listed: a trainer on a schedule registers many, and the page wants the latest. */
export const REGISTRY_LISTED = 50;

/**
 * What this replica reads and serves: the store, the bus and how far it has applied it, the version it
 * serves against the registry's current one, its recent swaps and their durations, and fold-in. Read-only
 * and cheap (one registry query), so a page may poll it.
 */
export async function servingReport(
  ctx: Pick<ServiceContext, "store" | "models">,
  replication: ReplicationService,
  options: { foldIn: boolean },
): Promise<ServingReport> {
  const { store, models } = ctx;
  const current = await currentOrNull(models);
  const registered = await store.listModels();
  const newestFirst = [...registered].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const swaps = models.recentSwaps();
  const lastSwap = swaps.at(-1);
  const version = current?.manifest.version ?? null;
  return {
    store: {
      kind: isPostgresUrl(store.location) ? "postgres" : "duckdb",
      location: printableStore(store.location),
    },
    bus: busReport(replication),
    model: current
      ? {
          version: current.manifest.version,
          createdAt: current.manifest.createdAt,
          loadedAt: lastSwap?.version === current.manifest.version ? iso(lastSwap.servingAtMs) : null,
        }
      : null,
    registryCurrent: registered.find((m) => m.isCurrent)?.version ?? null,
    swapInProgress: models.swapInProgress,
    swaps: swaps.map(swapView).reverse(),
    registry: newestFirst.slice(0, REGISTRY_LISTED).map((m) => ({
      version: m.version,
      createdAt: m.createdAt.toISOString(),
      isCurrent: m.isCurrent ?? false,
      serving: m.version === version,
    })),
    registryVersions: registered.length,
    foldIn: {
      enabled: options.foldIn,
      users: current?.overlays.size ?? 0,
      maxUsers: models.maxFoldedInUsers,
    },
  };
}

/** The version answering, or null when none is (none trained, or it cannot be loaded: the report still answers). */
async function currentOrNull(models: ServingModels) {
  try {
    return await models.current();
  } catch {
    return null;
  }
}

/**
 * A store's location with nothing secret and no folder of this machine: a PostgreSQL URL loses its user
 * and password (its location already hides the password; the user says who to attack), a DuckDB file
 * keeps its name only, as the API's errors never name this machine's paths.
 */
export function printableStore(location: string): string {
  if (!isPostgresUrl(location)) return location === ":memory:" ? location : basename(location);
  try {
    const url = new URL(location);
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

function busReport(replication: ReplicationService): ServingReport["bus"] {
  const connection = replication.connection;
  const location = replication.location;
  if (!connection || location === null) return null;
  const { stats } = replication;
  return {
    location,
    stream: connection.stream,
    state: connection.state,
    published: stats.published,
    publishFailures: stats.publishFailures,
    applied: stats.applied,
    lastAppliedAt: stats.lastAppliedAtMs === null ? null : iso(stats.lastAppliedAtMs),
    applyDelayP99Ms: percentile(stats.applyDelaysMs, 0.99),
    applyDelaysMeasured: stats.applyDelaysMs.length,
  };
}

function swapView(s: ModelSwap) {
  return {
    version: s.version,
    previous: s.previous,
    cause: s.cause,
    requestedAt: iso(s.requestedAtMs),
    startedAt: iso(s.startedAtMs),
    servingAt: iso(s.servingAtMs),
    waitMs: s.startedAtMs - s.requestedAtMs,
    readMs: Math.round(s.readMs * 10) / 10,
    totalMs: s.servingAtMs - s.requestedAtMs,
  };
}

/** The nearest-rank percentile (null for none): the value at least q of the sample is at or below. */
function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const iso = (ms: number) => new Date(ms).toISOString();
