import { phoneticPhrase } from "../../matching/phonetic.js";

/**
 * Hashed character n-gram vectors: the retrieval representation of the online rewriter. Nothing is
 * downloaded or learned: a request's content is cut into character 2-4-grams (spelling), n-grams of its
 * sound keys (ASR confusions: "hallo" and "hello" share all of them) and whole words, each hashed into a
 * fixed space. Vectors are sparse, sorted by index and L2-normalised, so cosine is a dot product.
 */

export interface SparseVector {
  /** Feature indices, ascending. */
  readonly index: Uint32Array;
  readonly value: Float32Array;
}

export interface NgramOptions {
  /** log2 of the hashed space. */
  bits: number;
  minN: number;
  maxN: number;
  /** Weight of sound-key n-grams relative to spelling n-grams. */
  phoneticWeight: number;
  /** Weight of whole words. */
  wordWeight: number;
}

export const defaultNgramOptions: NgramOptions = {
  bits: 20,
  minN: 2,
  maxN: 4,
  phoneticWeight: 0.6,
  wordWeight: 0.5,
};

/** FNV-1a over UTF-16 code units, with a namespace prefix char so that "c:ab" and "p:ab" differ. */
function hash(ns: number, s: string): number {
  let h = (0x811c9dc5 ^ ns) >>> 0;
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function addGrams(acc: Map<number, number>, ns: number, s: string, o: NgramOptions, w: number): void {
  const mask = (1 << o.bits) - 1;
  const padded = ` ${s} `;
  for (let n = o.minN; n <= o.maxN; n++) {
    for (let i = 0; i + n <= padded.length; i++) {
      const f = hash(ns, padded.slice(i, i + n)) & mask;
      acc.set(f, (acc.get(f) ?? 0) + w);
    }
  }
}

/** The vector of an already normalized text (see normalizeText / requestContent). */
export function charNgramVector(norm: string, options: NgramOptions = defaultNgramOptions): SparseVector {
  const acc = new Map<number, number>();
  if (norm !== "") {
    addGrams(acc, 1, norm, options, 1);
    if (options.phoneticWeight > 0) addGrams(acc, 2, phoneticPhrase(norm), options, options.phoneticWeight);
    if (options.wordWeight > 0) {
      const mask = (1 << options.bits) - 1;
      for (const w of norm.split(" ")) {
        const f = hash(3, w) & mask;
        acc.set(f, (acc.get(f) ?? 0) + options.wordWeight);
      }
    }
  }
  const index = Uint32Array.from(acc.keys()).sort();
  const value = new Float32Array(index.length);
  let norm2 = 0;
  for (let i = 0; i < index.length; i++) {
    const v = acc.get(index[i])!;
    value[i] = v;
    norm2 += v * v;
  }
  const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
  for (let i = 0; i < value.length; i++) value[i] *= inv;
  return { index, value };
}

/** Cosine of two normalised vectors: a merge of their sorted indices. */
export function cosine(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let dot = 0;
  while (i < a.index.length && j < b.index.length) {
    const x = a.index[i];
    const y = b.index[j];
    if (x === y) {
      dot += a.value[i++] * b.value[j++];
    } else if (x < y) i++;
    else j++;
  }
  return dot;
}
