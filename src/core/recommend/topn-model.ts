import { type FactorModel, scoreAllItems, userVector } from "../affinity/factor-model.js";
import { type ItemItemWeights, scoreItemItem } from "./item-item.js";
import type { SkipMeaning } from "./positives.js";

/** The candidates model selection chooses among. */
export const recommenderNames = [
  "ease",
  "edlae",
  "dlae",
  "item-knn",
  "ease+item-knn",
  "warp",
  "popularity",
] as const;
export type RecommenderName = (typeof recommenderNames)[number];

/** One candidate setting: the recommender, its hyper-parameter, and its blend with popularity. */
export interface RecommenderChoice {
  recommender: RecommenderName;
  /**
   * EASE's (EDLAE's, DLAE's) λ, item-kNN's neighbours (null = every co-liked item), WARP's epochs; null
   * for popularity.
   */
  param: number | null;
  /** "edlae" and "dlae" only: the dropout probability p (see trainLinearAutoencoder). */
  dropout?: number;
  /** w in score = s(u, i) / max_i |s(u, i)| + w · popularity(i) (0 = the model alone). */
  popularityWeight: number;
  /**
   * "ease+item-knn" only: the item-kNN half of the mix, param being EASE's λ. Both matrices are put on a
   * common scale (typicalUserScale) and added, share·kNN + (1 − share)·EASE (see mixItemItem).
   */
  mix?: { neighbours: number | null; share: number };
}

/**
 * The model `recommend` serves: the chosen recommender, trained on every training play, and the
 * popularity term it is blended with. Items are the affinity model's item indices.
 */
export interface TopNModel {
  choice: RecommenderChoice;
  skips: SkipMeaning;
  nItems: number;
  /** ln(1 + users who liked the item), divided by its maximum: in [0, 1]. */
  popularity: Float32Array;
  itemItem?: ItemItemWeights;
  factors?: FactorModel;
}

/** ln(1 + count) scaled to [0, 1]: the popularity term of every blend. */
export function popularityTerm(counts: ArrayLike<number>): Float32Array {
  let max = 0;
  for (let i = 0; i < counts.length; i++) max = Math.max(max, Math.log1p(counts[i]));
  return Float32Array.from(counts, (c) => (max > 0 ? Math.log1p(c) / max : 0));
}

/**
 * Scores every item for a user: `u` is the user's row in the model (or -1), `liked` their liked items
 * (ascending). A user the recommender cannot score (no liked items, or no factor row) gets popularity.
 * Returns whether the personal model scored (false = popularity only).
 */
export function scoreTopN(
  model: TopNModel,
  u: number,
  liked: ArrayLike<number>,
  out: Float32Array = new Float32Array(model.nItems),
): { scores: Float32Array; personal: boolean } {
  const { choice } = model;
  let personal = false;
  if (choice.recommender !== "popularity") {
    if (model.itemItem && liked.length > 0) {
      scoreItemItem(model.itemItem, liked, out);
      personal = true;
    } else if (model.factors && u >= 0 && u < model.factors.nUsers) {
      scoreAllItems(model.factors, userVector(model.factors, u), out);
      personal = true;
    }
  }
  if (!personal) {
    out.set(model.popularity);
    return { scores: out, personal };
  }
  blendWithPopularity(out, model.popularity, choice.popularityWeight);
  return { scores: out, personal };
}

/** s / max|s| + w · popularity, in place: the scale of s differs by model and by user, the blend's not. */
export function blendWithPopularity(scores: Float32Array, popularity: Float32Array, weight: number): void {
  let max = 0;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, Math.abs(scores[i]));
  const inv = max > 0 ? 1 / max : 1;
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i] * inv + weight * popularity[i];
}

/** A short name for a choice, as answers and reports say it: "ease (λ 200) + 0.1 popularity". */
export function describeChoice(choice: RecommenderChoice): string {
  const param = {
    "ease+item-knn": ` (λ ${choice.param}; ${choice.mix?.neighbours ?? "all"} neighbours, share ${choice.mix?.share})`,
    ease: ` (λ ${choice.param})`,
    edlae: ` (λ ${choice.param}, p ${choice.dropout ?? 0})`,
    dlae: ` (λ ${choice.param}, p ${choice.dropout ?? 0})`,
    "item-knn": ` (${choice.param ?? "all"} neighbours)`,
    warp: ` (${choice.param} epochs)`,
    popularity: "",
  }[choice.recommender];
  const blend =
    choice.popularityWeight > 0 && choice.recommender !== "popularity"
      ? ` + ${choice.popularityWeight} popularity`
      : "";
  return `${choice.recommender}${param}${blend}`;
}
