import {
  type CreatorPlayTable,
  evaluateFavourites,
  type FavouriteEvaluation,
  type FavouriteEvaluationOptions,
} from "../core/delayed/index.js";
import { type FavouriteSimOptions, simulateFavouriteHistories } from "../core/simulate/favourites.js";
import type { ServiceContext } from "./context.js";

export type FavouriteEvaluationSource =
  | { source: "store" }
  | { source: "simulated"; simulation?: Partial<FavouriteSimOptions> };

/**
 * Which new-to-user items become favourites, learned from labels that arrive weeks late (issue 18): the
 * four training methods and the uncertainty-aware thresholds, on the stored plays or a simulated history.
 */
export class FavouritesService {
  constructor(private readonly ctx: ServiceContext) {}

  async evaluate(
    from: FavouriteEvaluationSource,
    options: Partial<FavouriteEvaluationOptions> = {},
    onProgress?: (phase: string, done: number, total: number) => void,
  ): Promise<FavouriteEvaluation & { source: "store" | "simulated" }> {
    const plays =
      from.source === "simulated" ? simulateFavouriteHistories(from.simulation) : await this.storedPlays();
    return { source: from.source, ...evaluateFavourites(plays, options, onProgress) };
  }

  /** The store's plays with each item's first creator (or the "Creator|Title" id's creator part). */
  private async storedPlays(): Promise<CreatorPlayTable> {
    const columns = await this.ctx.store.scanPlays();
    if (columns.userIndex.length === 0) throw new Error("the store holds no plays yet: ingest some first");
    const catalogue = new Map((await this.ctx.store.getItems()).map((c) => [c.id, c.creators[0]]));
    const creatorIds = new Map<string, number>();
    const creatorOfItem = Int32Array.from(columns.items, (id) => {
      const name = catalogue.get(id) ?? (id.includes("|") ? id.slice(0, id.indexOf("|")) : id);
      let c = creatorIds.get(name);
      if (c === undefined) {
        c = creatorIds.size;
        creatorIds.set(name, c);
      }
      return c;
    });
    return {
      nUsers: columns.users.length,
      nItems: columns.items.length,
      userIndex: columns.userIndex,
      itemIndex: columns.itemIndex,
      creatorIndex: Int32Array.from(columns.itemIndex, (i) => creatorOfItem[i]),
      endTimeMs: columns.endTimeMs,
      playedMs: columns.playedMs,
    };
  }
}
