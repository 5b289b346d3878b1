/**
 * A word embedding table (GloVe or word2vec text format) held as one Float32Array, row i the vector of
 * words[i]. Parsing is line by line so a 400k-word file streams in without building per-line arrays.
 */
export class EmbeddingTable {
  private readonly ids: Map<string, number>;

  constructor(
    readonly words: readonly string[],
    readonly dimensions: number,
    /** Row-major, words.length × dimensions. */
    readonly vectors: Float32Array,
  ) {
    if (vectors.length !== words.length * dimensions)
      throw new RangeError(
        `embedding table: ${vectors.length} floats for ${words.length} words × ${dimensions} dimensions`,
      );
    this.ids = new Map();
    // The first occurrence wins: word2vec dumps occasionally repeat a token, frequency order ranks the first.
    for (let i = words.length - 1; i >= 0; i--) this.ids.set(words[i], i);
  }

  get size(): number {
    return this.words.length;
  }

  /** Row of a word, or -1 when it is outside the vocabulary. */
  id(word: string): number {
    return this.ids.get(word) ?? -1;
  }

  vector(id: number): Float32Array {
    return this.vectors.subarray(id * this.dimensions, (id + 1) * this.dimensions);
  }

  /** Euclidean distance between two rows. */
  distance(a: number, b: number): number {
    return Math.sqrt(squaredDistanceTo(this, a, this.vectors, b * this.dimensions));
  }
}

/** ‖φ(row) − v[at..at+d)‖². */
export function squaredDistanceTo(table: EmbeddingTable, row: number, v: ArrayLike<number>, at = 0): number {
  const d = table.dimensions;
  const x = table.vectors;
  const base = row * d;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[base + j] - v[at + j];
    s += t * t;
  }
  return s;
}

export class EmbeddingParseError extends Error {}

/**
 * Builds a table from the lines of a GloVe file (`word v1 … vd`, no header) or a word2vec text file (a first
 * line `count dimensions`). The dimension is taken from the first vector line; a line with another count of
 * numbers, or a value that is not a finite number, is an error naming its line, since a silently skipped
 * word would change every neighbourhood around it.
 */
export class EmbeddingTableBuilder {
  private readonly words: string[] = [];
  private dimensions = 0;
  private data = new Float32Array(0);
  private lineNo = 0;

  constructor(private readonly source = "embeddings") {}

  addLine(rawLine: string): void {
    this.lineNo++;
    const line = rawLine.trimEnd();
    if (line.length === 0) return;
    const parts = line.split(" ");
    if (this.lineNo === 1 && parts.length === 2 && /^\d+$/.test(parts[0]) && /^\d+$/.test(parts[1])) {
      // word2vec header: size the buffer once.
      this.dimensions = Number(parts[1]);
      this.data = new Float32Array(Number(parts[0]) * this.dimensions);
      return;
    }
    if (parts.length < 2) throw new EmbeddingParseError(`${this.source} line ${this.lineNo}: no vector`);
    const d = parts.length - 1;
    if (this.dimensions === 0) this.dimensions = d;
    if (d !== this.dimensions)
      throw new EmbeddingParseError(
        `${this.source} line ${this.lineNo}: ${d} numbers for "${parts[0]}", expected ${this.dimensions}`,
      );
    const at = this.words.length * d;
    if (at + d > this.data.length) {
      const grown = new Float32Array(Math.max(1024 * d, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    for (let j = 0; j < d; j++) {
      const v = Number(parts[j + 1]);
      if (!Number.isFinite(v))
        throw new EmbeddingParseError(
          `${this.source} line ${this.lineNo}: value ${j + 1} of "${parts[0]}" is not a number: ${parts[j + 1]}`,
        );
      this.data[at + j] = v;
    }
    this.words.push(parts[0]);
  }

  build(): EmbeddingTable {
    if (this.words.length === 0) throw new EmbeddingParseError(`${this.source}: no word vectors`);
    return new EmbeddingTable(
      this.words,
      this.dimensions,
      this.data.slice(0, this.words.length * this.dimensions),
    );
  }
}

export function parseEmbeddings(text: string, source?: string): EmbeddingTable {
  const builder = new EmbeddingTableBuilder(source);
  for (const line of text.split("\n")) builder.addLine(line);
  return builder.build();
}
