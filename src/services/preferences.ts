import {
  catalogueVocabulary,
  detectTeachableMoments,
  type ListedPreference,
  listPreferences,
  mergePreference,
  type NowPlaying,
  type PreferenceContext,
  type PreferenceFact,
  type PreferenceVocabulary,
  parsePreference,
  preferenceFactSchema,
  type TeachableMoment,
  toPreferenceFact,
} from "../core/preferences/index.js";
import { turnFromEvent } from "../core/voice/turn.js";
import type { PlayContext } from "../schema/events.js";
import type { ServiceContext } from "./context.js";
import { itemOf } from "./serving-model.js";

const NO_FACTS: readonly PreferenceFact[] = Object.freeze([]);

/** What users teach in words ("I don't like country"), kept per user and applied to later answers. */
export class PreferencesService {
  /**
   * Every user's live facts, read from the store once and then kept in step by teach and remove (this
   * process is the store's only writer): a recommendation for a user who taught nothing must not cost a
   * store query.
   */
  private byUser: Promise<Map<string, PreferenceFact[]>> | null = null;

  constructor(private readonly ctx: ServiceContext) {}

  private facts(): Promise<Map<string, PreferenceFact[]>> {
    this.byUser ??= this.ctx.store.listPreferences().then((records) => {
      const map = new Map<string, PreferenceFact[]>();
      for (const r of records) {
        const fact = preferenceFactSchema.parse(r.fact);
        const list = map.get(r.user);
        if (list) list.push(fact);
        else map.set(r.user, [fact]);
      }
      return map;
    });
    return this.byUser;
  }

  /** A user's live preference facts, oldest first (held in memory). */
  async factsFor(user: string): Promise<readonly PreferenceFact[]> {
    return (await this.facts()).get(user) ?? NO_FACTS;
  }

  /**
   * Reads a taste statement ("I don't like country", "more Adele", "never play Christmas songs") into
   * preference facts, stores them (a newer statement about the same thing replaces the older one) and
   * applies them from the very next resolve and recommend.
   */
  async teach(
    user: string,
    text: string,
    options: { nowMs?: number; nowPlaying?: NowPlaying; timeZoneOffsetMinutes?: number } = {},
  ): Promise<{ facts: ListedPreference[]; replaced: string[] } | { error: string }> {
    const now = options.nowMs ?? Date.now();
    const parsed = parsePreference(text, now, await this.vocabulary(), options);
    if ("error" in parsed) return parsed;
    const byUser = await this.facts();
    let facts: PreferenceFact[] = [...(byUser.get(user) ?? [])];
    const added: PreferenceFact[] = [];
    const replaced: string[] = [];
    try {
      for (const draft of parsed.facts) {
        const fact = toPreferenceFact(user, draft);
        const merged = mergePreference(facts, fact);
        for (const old of merged.replaced) {
          await this.ctx.store.removePreference(user, old.id);
          replaced.push(old.id);
        }
        await this.ctx.store.addPreference({ id: fact.id, user, createdAtMs: fact.createdAtMs, fact });
        facts = merged.facts;
        added.push(fact);
      }
    } catch (error) {
      // Part of the statement may be stored: read the store again rather than guess.
      this.byUser = null;
      throw error;
    }
    byUser.set(user, facts);
    const listed = listPreferences(added, now);
    return { facts: listed, replaced };
  }

  /**
   * Reads one user's live facts from the store again: another replica taught or removed some (a store
   * several servers share has more than one writer).
   */
  async reload(user: string): Promise<void> {
    if (!this.byUser) return; // not read yet: the first read sees the store as it is
    const records = await this.ctx.store.listPreferences(user);
    const facts = records.map((r) => preferenceFactSchema.parse(r.fact));
    const byUser = await this.facts();
    if (facts.length > 0) byUser.set(user, facts);
    else byUser.delete(user);
  }

  /** A user's taught preferences, newest first, each with whether it still applies. */
  async list(user: string, options: { includeExpired?: boolean; nowMs?: number } = {}) {
    return listPreferences(await this.factsFor(user), options.nowMs ?? Date.now(), options);
  }

  /** Forgets one taught preference; false when the user has no such fact. */
  async remove(user: string, id: string): Promise<boolean> {
    const removed = await this.ctx.store.removePreference(user, id);
    if (removed) {
      const byUser = await this.facts();
      const left = (byUser.get(user) ?? []).filter((f) => f.id !== id);
      if (left.length > 0) byUser.set(user, left);
      else byUser.delete(user);
    }
    return removed;
  }

  /**
   * Moments in a user's recent turns where asking "should I remember that?" makes sense: the same request
   * repeated, or explicit dissatisfaction ("no, not that one").
   */
  async teachableMoments(
    user: string,
    options: { nowMs?: number; windowMs?: number } = {},
  ): Promise<TeachableMoment[]> {
    const now = options.nowMs ?? Date.now();
    const windowMs = options.windowMs ?? 30 * 60_000;
    const turns = (await this.ctx.store.scanRequests({ fromMs: now - windowMs, toMs: now + 1, user })).map(
      turnFromEvent,
    );
    const current = await this.ctx.models.current();
    return detectTeachableMoments(turns, now, {
      describeItem: current
        ? (id: string) => {
            const item = itemOf(current, id);
            return item ? { title: item.title, creators: item.creators } : null;
          }
        : undefined,
    });
  }

  /** The vocabulary preference statements are read against: the served catalogue, or the stored one. */
  private async vocabulary(): Promise<PreferenceVocabulary> {
    const current = await this.ctx.models.current();
    if (current) {
      current.vocabulary ??= catalogueVocabulary(current.view.all, { index: current.matcher });
      return current.vocabulary;
    }
    return catalogueVocabulary(await this.ctx.store.getItems());
  }
}

/** The parts of a request's context that preference scopes can name. */
export function preferenceContext(context: PlayContext | undefined): PreferenceContext | undefined {
  if (!context) return undefined;
  return { deviceType: context.deviceType, activity: context.activity };
}
