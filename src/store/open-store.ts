import { resolve } from "node:path";
import type { EventStore } from "./event-store.js";
import { isPostgresUrl, PostgresEventStore } from "./postgres/postgres-store.js";

/**
 * The store a `--store` value names: a `postgres://` (or `postgresql://`) URL is a PostgreSQL database that
 * several processes share; anything else is the path of an embedded DuckDB file (or ":memory:").
 */
export async function openEventStore(spec: string): Promise<EventStore> {
  if (isPostgresUrl(spec)) return PostgresEventStore.open(spec);
  // Loaded only for a DuckDB store: its native library is half a second of a replica's restart.
  const { DuckDbEventStore } = await import("./duckdb/duckdb-store.js");
  return DuckDbEventStore.open(spec);
}

/** Whether one process owns the store (a DuckDB file), so a server announces itself beside it. */
export function storeHasOwner(spec: string): boolean {
  return spec !== ":memory:" && !isPostgresUrl(spec);
}

/**
 * A file that belongs with the store (its model folder, rejects file): beside a store file, or, for a
 * store without one (":memory:", PostgreSQL), `tastebud<suffix>` in the working folder.
 */
export function besideStore(spec: string, suffix: string): string {
  return storeHasOwner(spec) ? `${spec}${suffix}` : resolve(`tastebud${suffix}`);
}
