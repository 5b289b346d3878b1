import type { CatalogueItem } from "../schema/events.js";

/**
 * Where a worker thread can read the catalogue with a connection of its own (EventStore.catalogueSource):
 * a store served over the network. An embedded store has none (its file belongs to the thread that opened it).
 */
export type CatalogueSource = { kind: "postgres"; url: string };

/** Every catalogue item of `source`, read here (on the calling thread, with its own connection). */
export async function readCatalogue(source: CatalogueSource): Promise<CatalogueItem[]> {
  const { selectItemsAt } = await import("./postgres/catalogue-items.js");
  return selectItemsAt(source.url);
}
