import { Random } from "../random.js";
import type { WordMechanism } from "./mechanisms.js";

/**
 * Plausible deniability statistics (Feyisetan et al. 2020; methods.md 7a): for a word w and n draws of the
 * mechanism, N_w = how many draws returned w itself, S_w = how many distinct words came out. Low N_w and
 * high S_w mean an observed output could have come from many inputs.
 */
export interface WordDeniability {
  word: number;
  unchanged: number;
  distinct: number;
}

export function wordDeniability(
  mechanism: WordMechanism,
  word: number,
  draws: number,
  rng: Random,
): WordDeniability {
  const seen = new Set<number>();
  let unchanged = 0;
  for (let i = 0; i < draws; i++) {
    const out = mechanism.perturb(word, rng);
    if (out === word) unchanged++;
    seen.add(out);
  }
  return { word, unchanged, distinct: seen.size };
}

export interface Quantiles {
  min: number;
  p10: number;
  p25: number;
  median: number;
  p75: number;
  p90: number;
  max: number;
  mean: number;
}

export function quantiles(values: ArrayLike<number>): Quantiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => {
    // Linear interpolation between order statistics (type 7, as numpy's default).
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    min: sorted[0],
    p10: at(0.1),
    p25: at(0.25),
    median: at(0.5),
    p75: at(0.75),
    p90: at(0.9),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  };
}

export interface DeniabilitySummary {
  mechanism: string;
  epsilon: number;
  draws: number;
  words: number;
  /** N_w as a fraction of draws. */
  unchanged: Quantiles;
  /** S_w, distinct outputs. */
  distinct: Quantiles;
}

/** N_w and S_w over a set of words (a vocabulary sample), each word with its own seeded stream. */
export function deniability(
  mechanism: WordMechanism,
  words: readonly number[],
  draws: number,
  seed: number,
): { summary: DeniabilitySummary; perWord: WordDeniability[] } {
  const perWord = words.map((w) =>
    wordDeniability(mechanism, w, draws, new Random(seed ^ Math.imul(w + 1, 0x9e3779b1))),
  );
  return {
    perWord,
    summary: {
      mechanism: mechanism.name,
      epsilon: mechanism.epsilon,
      draws,
      words: words.length,
      unchanged: quantiles(perWord.map((p) => p.unchanged / draws)),
      distinct: quantiles(perWord.map((p) => p.distinct)),
    },
  };
}

/** Evenly spaced words of a frequency-ordered vocabulary, from `from` (skipping punctuation-heavy heads). */
export function vocabularySample(size: number, count: number, from = 0): number[] {
  const m = Math.min(count, size - from);
  return Array.from({ length: m }, (_, i) => from + Math.floor((i * (size - from)) / m));
}
