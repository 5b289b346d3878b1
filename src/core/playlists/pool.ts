import { z } from "zod";
import type { TasteItem } from "./taste-space.js";

/**
 * Algotorial playlists: an editor names the candidates (items, creators, tags, optionally only one kind)
 * and the rules; the algorithm orders them per listener. A listener the model does not know gets the
 * editor's order.
 */
export const poolDefinitionSchema = z
  .object({
    description: z.string().max(2000).optional(),
    items: z.array(z.string().min(1)).default([]).describe("item ids, in the editor's order"),
    creators: z.array(z.string().min(1)).default([]).describe("every item by these creators"),
    tags: z.array(z.string().min(1)).default([]).describe("every item with any of these tags"),
    kind: z.string().min(1).optional().describe("only items of this kind"),
    rules: z
      .object({
        length: z.number().int().min(1).max(500).default(30),
        opener: z.string().min(1).optional().describe("this item always plays first"),
        atLeast: z
          .array(z.object({ count: z.number().int().min(1), tag: z.string().min(1) }))
          .default([])
          .describe('at least `count` items with this tag, e.g. {count: 3, tag: "new-release"}'),
        maxPerCreator: z.number().int().min(1).optional(),
        before: z
          .array(z.tuple([z.string().min(1), z.string().min(1)]))
          .default([])
          .describe("[a, b]: when both play, a plays before b"),
      })
      .strict()
      .default({ length: 30, atLeast: [], before: [] }),
  })
  .strict()
  .refine((d) => d.items.length + d.creators.length + d.tags.length > 0, {
    message: "a pool needs items, creators or tags",
  });

export type PoolDefinition = z.output<typeof poolDefinitionSchema>;
export type PoolDefinitionInput = z.input<typeof poolDefinitionSchema>;

export interface PoolCatalogue {
  /** Catalogue entries by model item index (null = not described). */
  items: ReadonlyArray<(TasteItem & { id: string; kind: string }) | null>;
  /** Long plays per model item: the editor's order among items not listed one by one. */
  popularity: ArrayLike<number>;
}

export interface RankedPool {
  /** Model item indices, in play order. */
  order: number[];
  /** Per track, why it has its place: "opener", "at least 3 new-release", or "ranked". */
  placed: string[];
  /** Listed item ids the model does not know (they cannot be served). */
  unknownItems: string[];
  /** Rules that could not be met, in words. */
  unmet: string[];
}

/** The pool's candidates in the editor's order: listed items first as listed, then by popularity. */
export function poolCandidates(
  def: PoolDefinition,
  catalogue: PoolCatalogue,
  itemIndex: ReadonlyMap<string, number>,
) {
  const unknownItems: string[] = [];
  const seen = new Set<number>();
  const listed: number[] = [];
  const kindOk = (i: number) => !def.kind || catalogue.items[i]?.kind === def.kind;
  for (const id of def.items) {
    const i = itemIndex.get(id);
    if (i === undefined) unknownItems.push(id);
    else if (!seen.has(i) && kindOk(i)) {
      seen.add(i);
      listed.push(i);
    }
  }
  const creators = new Set(def.creators.map((c) => c.toLowerCase()));
  const tags = new Set(def.tags.map((t) => t.toLowerCase()));
  const matched: number[] = [];
  if (creators.size || tags.size) {
    catalogue.items.forEach((item, i) => {
      if (!item || seen.has(i) || !kindOk(i)) return;
      if (
        item.creators.some((c) => creators.has(c.toLowerCase())) ||
        item.tags.some((t) => tags.has(t.toLowerCase()))
      )
        matched.push(i);
    });
    matched.sort((a, b) => catalogue.popularity[b] - catalogue.popularity[a] || a - b);
  }
  return { editorOrder: [...listed, ...matched], unknownItems };
}

/**
 * Ranks a pool for one listener under the editor's rules. `relevance` is the listener's affinity per model
 * item, or null for a listener the model does not know (then the editor's order stands). Rules, in order:
 * the opener plays first; each "at least N with tag T" is met with the listener's best T items; the rest
 * is filled by relevance under the per-creator cap; the tracks play by relevance, then each "a before b"
 * is enforced by moving b to just after a.
 */
export function rankPool(
  def: PoolDefinition,
  catalogue: PoolCatalogue,
  itemIndex: ReadonlyMap<string, number>,
  relevance: ((i: number) => number) | null,
  allow: Uint8Array | null = null,
): RankedPool {
  const { editorOrder, unknownItems } = poolCandidates(def, catalogue, itemIndex);
  const rules = def.rules;
  const rank = new Map(editorOrder.map((i, k) => [i, k]));
  // Higher first: the listener's affinity, or the editor's order for a cold start.
  const score = relevance ?? ((i: number) => -(rank.get(i) ?? 0));
  const eligible = editorOrder.filter((i) => !allow || allow[i] === 1);
  const byScore = [...eligible].sort(
    (a, b) => score(b) - score(a) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0),
  );
  const chosen: number[] = [];
  const placed = new Map<number, string>();
  const perCreator = new Map<string, number>();
  const unmet: string[] = [];
  const fits = (i: number) =>
    !placed.has(i) &&
    (rules.maxPerCreator === undefined ||
      (catalogue.items[i]?.creators ?? []).every((c) => (perCreator.get(c) ?? 0) < rules.maxPerCreator!));
  const take = (i: number, why: string) => {
    chosen.push(i);
    placed.set(i, why);
    for (const c of catalogue.items[i]?.creators ?? []) perCreator.set(c, (perCreator.get(c) ?? 0) + 1);
  };
  let opener: number | null = null;
  if (rules.opener !== undefined) {
    const i = itemIndex.get(rules.opener);
    if (i === undefined || (allow && allow[i] === 0)) unmet.push(`opener ${rules.opener} cannot be played`);
    else {
      opener = i;
      take(i, "opener");
    }
  }
  for (const { count, tag } of rules.atLeast) {
    const t = tag.toLowerCase();
    const has = (i: number) => (catalogue.items[i]?.tags ?? []).some((x) => x.toLowerCase() === t);
    let got = chosen.filter(has).length;
    for (const i of byScore) {
      if (got >= count || chosen.length >= rules.length) break;
      if (has(i) && fits(i)) {
        take(i, `at least ${count} ${tag}`);
        got++;
      }
    }
    if (got < count) unmet.push(`only ${got} of at least ${count} ${tag}`);
  }
  for (const i of byScore) {
    if (chosen.length >= rules.length) break;
    if (fits(i)) take(i, "ranked");
  }
  const order = chosen
    .filter((i) => i !== opener)
    .sort((a, b) => score(b) - score(a) || (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
  if (opener !== null) order.unshift(opener);
  enforceBefore(order, rules.before, itemIndex, opener);
  return { order, placed: order.map((i) => placed.get(i)!), unknownItems, unmet };
}

/** Moves each b to just after its a when it plays earlier; repeated until stable (cycles stop after n rounds). */
function enforceBefore(
  order: number[],
  before: ReadonlyArray<readonly [string, string]>,
  itemIndex: ReadonlyMap<string, number>,
  opener: number | null,
): void {
  const pairs = before
    .map(([a, b]) => [itemIndex.get(a), itemIndex.get(b)] as const)
    .filter(
      (p): p is readonly [number, number] => p[0] !== undefined && p[1] !== undefined && p[1] !== opener,
    );
  for (let round = 0; round < order.length; round++) {
    let moved = false;
    for (const [a, b] of pairs) {
      const at = order.indexOf(a);
      const bt = order.indexOf(b);
      if (at < 0 || bt < 0 || bt > at) continue;
      order.splice(bt, 1);
      order.splice(order.indexOf(a) + 1, 0, b);
      moved = true;
    }
    if (!moved) return;
  }
}
