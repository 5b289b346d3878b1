import type { Random } from "../random.js";
import type { EmbeddingTable } from "./embeddings.js";
import type { WordMechanism } from "./mechanisms.js";

/**
 * What happens to a word the embedding table does not hold. The mechanisms' guarantee covers only
 * vocabulary words, so keeping such a word would store it verbatim: names, rare words, typos, exactly the
 * identifying ones. "placeholder" (the default) replaces it with OOV_PLACEHOLDER, which keeps the request's
 * length and shape and reveals only that some out-of-vocabulary word stood there; "drop" removes it;
 * "keep" stores it as said and is for measuring what that costs, not for privacy.
 */
export const outOfVocabularyPolicies = ["placeholder", "drop", "keep"] as const;
export type OutOfVocabularyPolicy = (typeof outOfVocabularyPolicies)[number];
export const OOV_PLACEHOLDER = "<unk>";

/**
 * GloVe's tokens: lower-cased words and numbers, clitics split off as their own token ("i'd" → "i", "'d"),
 * each other punctuation mark a token.
 */
const TOKEN = /[\p{L}\p{N}]+|'[\p{L}]+|[^\s\p{L}\p{N}]/gu;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

export interface PerturbedText {
  text: string;
  /** Vocabulary words drawn through the mechanism: each spends ε of the budget (sequential composition). */
  perturbed: number;
  /** Of those, how many came out as a different word. */
  changed: number;
  outOfVocabulary: number;
  /** The output token of each input token (null where an out-of-vocabulary word was dropped). */
  tokens: (string | null)[];
}

/** How many tokens of a text the mechanism will draw for: what perturbing it costs, known before drawing. */
export function vocabularyTokens(text: string, table: EmbeddingTable): number {
  let n = 0;
  for (const token of tokenize(text)) if (table.id(token) >= 0) n++;
  return n;
}

/** Perturbs every vocabulary token of a text independently; the result is the tokens joined by spaces. */
export function perturbText(
  text: string,
  table: EmbeddingTable,
  mechanism: WordMechanism,
  rng: Random,
  policy: OutOfVocabularyPolicy = "placeholder",
): PerturbedText {
  const tokens: (string | null)[] = [];
  const ids: number[] = [];
  const at: number[] = [];
  let outOfVocabulary = 0;
  for (const token of tokenize(text)) {
    const id = table.id(token);
    if (id < 0) {
      outOfVocabulary++;
      tokens.push(policy === "keep" ? token : policy === "placeholder" ? OOV_PLACEHOLDER : null);
      continue;
    }
    at.push(tokens.length);
    tokens.push(null);
    ids.push(id);
  }
  // Each word is still perturbed independently with the same draws; perturbMany only shares the search.
  const replaced = mechanism.perturbMany
    ? mechanism.perturbMany(ids, rng)
    : ids.map((id) => mechanism.perturb(id, rng));
  let changed = 0;
  for (let i = 0; i < ids.length; i++) {
    if (replaced[i] !== ids[i]) changed++;
    tokens[at[i]] = table.words[replaced[i]];
  }
  const perturbed = ids.length;
  const joined = tokens.filter((t) => t !== null).join(" ");
  return { text: joined, perturbed, changed, outOfVocabulary, tokens };
}
