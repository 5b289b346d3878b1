import { userState } from "../core/affinity/affinity-model.js";
import type { PlayEvent } from "../schema/events.js";
import { foldPlays } from "./affinity.js";
import type { ServingModel, ServingModels } from "./serving-model.js";

interface LoggedPlay {
  event: PlayEvent;
  /** When the bus stored it (or, until its copy comes back from the bus, when this replica accepted it). */
  stampMs: number;
}

/**
 * Fold-in that every replica agrees on. Each user's overlay is rebuilt from the model's own row and all of
 * their plays the bus delivered since the model was made (its manifest's createdAt), in key order, a key
 * seen again counted once: replicas that received the same plays, in any order and across model swaps,
 * hold the same overlay. When a newer model comes in, the plays it was made after drop out and the rest
 * are folded onto it before it answers.
 */
export class ReplicatedFoldIns {
  /** user -> play key -> play; insertion order is recency, the least recent user dropped past the cap. */
  private readonly byUser = new Map<string, Map<string, LoggedPlay>>();

  constructor(
    private readonly models: ServingModels,
    /** Most users kept (as the models' overlays: ServingModels.maxFoldedInUsers). */
    private readonly maxUsers: number,
  ) {
    models.onInstall((model) => this.refoldAll(model));
  }

  /**
   * Adds plays of one user and folds their overlay again on the current model; null without a model.
   * Plays stored before the model was made are kept out (the model learned from them).
   */
  async add(
    user: string,
    plays: ReadonlyArray<{ key: string; event: PlayEvent }>,
    stampMs: number,
  ): Promise<{ user: string; unknownItems: number; items: number } | null> {
    const current = await this.models.current();
    const logged = this.byUser.get(user) ?? new Map<string, LoggedPlay>();
    this.byUser.delete(user);
    this.byUser.set(user, logged);
    for (const { key, event } of plays) logged.set(key, { event, stampMs });
    while (this.byUser.size > this.maxUsers) {
      const oldest = this.byUser.keys().next().value as string;
      this.byUser.delete(oldest);
    }
    if (!current) return null;
    return this.refold(current, user, logged);
  }

  /** Users with replicated plays since the current model (for tests and the overview). */
  get users(): number {
    return this.byUser.size;
  }

  private refoldAll(model: ServingModel): void {
    for (const [user, logged] of this.byUser) this.refold(model, user, logged);
  }

  private refold(model: ServingModel, user: string, logged: Map<string, LoggedPlay>) {
    const madeAt = Date.parse(model.manifest.createdAt);
    for (const [key, play] of logged) if (play.stampMs <= madeAt) logged.delete(key);
    if (logged.size === 0) {
      this.byUser.delete(user);
      model.overlays.delete(user);
      return { user, unknownItems: 0, items: 0 };
    }
    const keys = [...logged.keys()].sort();
    const u = model.userIndex.get(user);
    const { overlay, unknownItems } = foldPlays(
      model,
      u === undefined ? null : userState(model.model, u),
      keys.map((k) => logged.get(k)!.event),
    );
    model.overlays.set(user, overlay);
    return { user, unknownItems, items: overlay.items.length };
  }
}
