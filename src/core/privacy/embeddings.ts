/**
 * A word embedding table (GloVe or word2vec text format) held as one Float32Array, row i the vector of
 * words[i]. Parsing streams bytes (EmbeddingTableBuilder.push), so a 400k-word file reads in without
 * building a string or an array per line.
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

/** 10^0 … 10^22: the powers of ten a double holds exactly (Clinger's fast path). */
const POW10 = Float64Array.from({ length: 23 }, (_, i) => 10 ** i);

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * Builds a table from the bytes of a GloVe file (`word v1 … vd`, no header) or a word2vec text file (a first
 * line `count dimensions`), fed in chunks of any size (push) so a 400k-word file streams through without a
 * string or an array per line: numbers are parsed from the bytes straight into one growing Float32Array.
 * The dimension is taken from the first vector line; a line with another count of numbers, or a value that
 * is not a finite number, is an error naming its line, since a silently skipped word would change every
 * neighbourhood around it.
 *
 * Values read exactly as Number(text) would: a decimal of at most 15 significant digits and a power of ten
 * within 10^±22 is one correctly rounded multiplication or division of two exact doubles (Clinger 1990),
 * which is what Number returns; anything else (more digits, larger exponents, or text that is not a plain
 * decimal) is handed to Number itself. Fields are separated by single spaces, as before (two spaces make
 * an empty field, which Number reads as 0).
 */
export class EmbeddingTableBuilder {
  private readonly words: string[] = [];
  private dimensions = 0;
  private data = new Float32Array(0);
  private lineNo = 0;
  /** The unfinished last line of the previous chunk. */
  private carry: Buffer | null = null;
  private scratch = new Float64Array(64);

  constructor(private readonly source = "embeddings") {}

  /** One line of text (without its newline). */
  addLine(line: string): void {
    const bytes = Buffer.from(line, "utf8");
    this.parseLine(bytes, 0, bytes.length);
  }

  /** The next bytes of the file, split anywhere. */
  push(chunk: Uint8Array): void {
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.carry) {
      const nl = buf.indexOf(NEWLINE);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, buf]);
        return;
      }
      const line = Buffer.concat([this.carry, buf.subarray(0, nl)]);
      this.carry = null;
      this.parseLine(line, 0, line.length);
      start = nl + 1;
    }
    for (let nl = buf.indexOf(NEWLINE, start); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      this.parseLine(buf, start, nl);
      start = nl + 1;
    }
    // Copied: a stream may reuse its chunk's memory.
    if (start < buf.length) this.carry = Buffer.from(buf.subarray(start));
  }

  private parseLine(buf: Buffer, start: number, end: number): void {
    this.lineNo++;
    // trimEnd: spaces, tabs, CR and the other ASCII white space.
    while (end > start && (buf[end - 1] === SPACE || (buf[end - 1] >= 0x09 && buf[end - 1] <= 0x0d))) end--;
    if (end === start) return;
    if (this.lineNo === 1) {
      const header = /^(\d+) (\d+)$/.exec(buf.toString("utf8", start, end));
      if (header) {
        // word2vec header: size the buffer once.
        this.dimensions = Number(header[2]);
        this.data = new Float32Array(Number(header[1]) * this.dimensions);
        return;
      }
    }
    const wordEnd = buf.indexOf(SPACE, start);
    if (wordEnd < 0 || wordEnd >= end)
      throw new EmbeddingParseError(`${this.source} line ${this.lineNo}: no vector`);
    // Every field into scratch first: a wrong count is reported before a bad value, as a split would.
    let d = 0;
    let bad = -1;
    let badText = "";
    let at = wordEnd + 1;
    for (;;) {
      // A byte loop, not indexOf: a native call per field costs more than the scan.
      let fieldEnd = at;
      while (fieldEnd < end && buf[fieldEnd] !== SPACE) fieldEnd++;
      const v = parseDecimal(buf, at, fieldEnd);
      if (d === this.scratch.length) {
        const grown = new Float64Array(d * 2);
        grown.set(this.scratch);
        this.scratch = grown;
      }
      this.scratch[d] = v;
      if (bad < 0 && !Number.isFinite(v)) {
        bad = d;
        badText = buf.toString("utf8", at, fieldEnd);
      }
      d++;
      if (fieldEnd === end) break;
      at = fieldEnd + 1;
    }
    const word = buf.toString("utf8", start, wordEnd);
    if (this.dimensions === 0) this.dimensions = d;
    if (d !== this.dimensions)
      throw new EmbeddingParseError(
        `${this.source} line ${this.lineNo}: ${d} numbers for "${word}", expected ${this.dimensions}`,
      );
    if (bad >= 0)
      throw new EmbeddingParseError(
        `${this.source} line ${this.lineNo}: value ${bad + 1} of "${word}" is not a number: ${badText}`,
      );
    const row = this.words.length * d;
    if (row + d > this.data.length) {
      const grown = new Float32Array(Math.max(1024 * d, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    for (let j = 0; j < d; j++) this.data[row + j] = this.scratch[j];
    this.words.push(word);
  }

  build(): EmbeddingTable {
    if (this.carry) {
      const line = this.carry;
      this.carry = null;
      this.parseLine(line, 0, line.length);
    }
    if (this.words.length === 0) throw new EmbeddingParseError(`${this.source}: no word vectors`);
    return new EmbeddingTable(
      this.words,
      this.dimensions,
      this.data.length === this.words.length * this.dimensions
        ? this.data
        : this.data.slice(0, this.words.length * this.dimensions),
    );
  }
}

/**
 * Number(buf[start..end) as text), without making the text when it is a plain decimal
 * ([+-]digits[.digits][e[+-]digits]) of at most 15 significant digits and a power of ten within 10^±22.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
    negative = buf[i] === 0x2d;
    i++;
  }
  let mantissa = 0;
  let significant = 0;
  let digits = 0;
  let scale = 0;
  let c = 0;
  for (; i < end; i++) {
    c = buf[i] - 0x30;
    if (c < 0 || c > 9) break;
    digits++;
    if (significant > 0 || c !== 0) significant++;
    mantissa = mantissa * 10 + c;
  }
  if (i < end && buf[i] === 0x2e) {
    for (i++; i < end; i++) {
      c = buf[i] - 0x30;
      if (c < 0 || c > 9) break;
      digits++;
      if (significant > 0 || c !== 0) significant++;
      mantissa = mantissa * 10 + c;
      scale--;
    }
  }
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    let j = i + 1;
    let expNegative = false;
    if (j < end && (buf[j] === 0x2d || buf[j] === 0x2b)) {
      expNegative = buf[j] === 0x2d;
      j++;
    }
    let exponent = 0;
    let expDigits = 0;
    for (; j < end && expDigits < 6; j++) {
      c = buf[j] - 0x30;
      if (c < 0 || c > 9) break;
      exponent = exponent * 10 + c;
      expDigits++;
    }
    if (expDigits > 0) {
      scale += expNegative ? -exponent : exponent;
      i = j;
    }
  }
  if (i !== end || digits === 0 || significant > 15 || scale > 22 || scale < -22)
    return Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8"));
  const magnitude = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  return negative ? -magnitude : magnitude;
}

export function parseEmbeddings(text: string, source?: string): EmbeddingTable {
  const builder = new EmbeddingTableBuilder(source);
  builder.push(Buffer.from(text, "utf8"));
  return builder.build();
}
