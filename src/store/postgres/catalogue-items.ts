import type pg from "pg";
import type { CatalogueItem } from "../../schema/events.js";

/** The catalogue's items (or those of `ids`), read on connection `c`. */
export async function selectItems(c: pg.ClientBase, ids?: readonly string[]): Promise<CatalogueItem[]> {
  if (ids && ids.length === 0) return [];
  const { rows } = await c.query({
    text: `SELECT item_id, title, creators, kind, length_ms::float8, tags, attributes FROM items
       ${ids ? "WHERE item_id = ANY($1::text[])" : ""}`,
    values: ids ? [[...new Set(ids)]] : [],
    rowMode: "array",
  });
  return rows.map((r: unknown[]) => ({
    id: r[0] as string,
    title: r[1] as string,
    creators: r[2] as string[],
    kind: r[3] as CatalogueItem["kind"],
    ...(r[4] === null ? {} : { lengthMs: r[4] as number }),
    tags: r[5] as string[],
    attributes: r[6] as CatalogueItem["attributes"],
  }));
}

/**
 * The catalogue read on a connection of its own, opened for this read and closed after: what a worker
 * thread of a serving replica uses (it has no pool), see CatalogueSource.
 */
export async function selectItemsAt(url: string): Promise<CatalogueItem[]> {
  const c = new (await import("pg")).default.Client({ connectionString: url });
  await c.connect();
  try {
    return await selectItems(c);
  } finally {
    await c.end();
  }
}
