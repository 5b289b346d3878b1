/**
 * The recent turns of each user's dialogue, for carryover: what each turn finally asked for (its
 * self-contained text), kept while the user keeps talking. A pause longer than `gapMs` starts a new
 * dialogue; only the last `maxTurns` are kept.
 */
export class DialogueMemory {
  private readonly turns = new Map<string, Array<{ text: string; timeMs: number }>>();

  constructor(
    readonly gapMs = 120_000,
    readonly maxTurns = 6,
  ) {}

  /** The user's turns of the current dialogue at `timeMs`, oldest first. */
  history(user: string, timeMs: number): string[] {
    const list = this.turns.get(user);
    if (!list || list.length === 0 || timeMs - list[list.length - 1].timeMs > this.gapMs) return [];
    let from = list.length - 1;
    while (from > 0 && list[from].timeMs - list[from - 1].timeMs <= this.gapMs) from--;
    return list.slice(from).map((t) => t.text);
  }

  /** Records a turn (skipped when it repeats the user's last one at the same time, e.g. resolve then log). */
  add(user: string, text: string, timeMs: number): void {
    let list = this.turns.get(user);
    if (!list) {
      list = [];
      this.turns.set(user, list);
    }
    const last = list[list.length - 1];
    if (last && last.text === text && Math.abs(last.timeMs - timeMs) <= this.gapMs) return;
    if (last && timeMs < last.timeMs) return; // out of order: the dialogue has moved on
    list.push({ text, timeMs });
    if (list.length > this.maxTurns) list.splice(0, list.length - this.maxTurns);
  }

  /**
   * The dialogues still open at `timeMs` (last turn within the gap), for storing across a restart; a
   * dialogue that has ended needs no keeping, since the next turn would start a new one anyway.
   */
  toJSON(timeMs: number): Record<string, Array<{ text: string; timeMs: number }>> {
    const open: Record<string, Array<{ text: string; timeMs: number }>> = {};
    for (const [user, list] of this.turns)
      if (list.length && timeMs - list[list.length - 1].timeMs <= this.gapMs) open[user] = [...list];
    return open;
  }

  /** Takes back dialogues stored by toJSON (turns in time order per user). */
  restore(json: Record<string, Array<{ text: string; timeMs: number }>>): void {
    for (const [user, list] of Object.entries(json))
      for (const t of list)
        if (typeof t?.text === "string" && Number.isFinite(t.timeMs)) this.add(user, t.text, t.timeMs);
  }

  /** The newest turn time held, or -Infinity. */
  latestTimeMs(): number {
    let latest = Number.NEGATIVE_INFINITY;
    for (const list of this.turns.values())
      if (list.length) latest = Math.max(latest, list[list.length - 1].timeMs);
    return latest;
  }
}
