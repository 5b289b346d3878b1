import { Transform, type TransformCallback } from "node:stream";
import { Parser } from "csv-parse";
import { type ByteCounter, fileError, notUtf8Lines, openBytes, streamErrorText } from "./files.js";
import { truncateRaw } from "./values.js";

/**
 * One parsed CSV record with the 1-based line it starts on; `error` is set when csv-parse skipped it, and
 * `notUtf8` when a line of it holds bytes that are not UTF-8 (its text then shows U+FFFD in their place).
 */
export interface CsvRow {
  record: string[];
  raw: string;
  line: number;
  error?: string;
  notUtf8?: boolean;
}

/**
 * Passes a file's bytes on whole lines at a time and notes the (1-based) lines that are not valid UTF-8, so
 * that a record can be rejected for them rather than stored with U+FFFD in place of its bytes. Holding back
 * the unfinished last line means every line is checked before the parser can emit a record from it.
 */
class Utf8LineCheck extends Transform {
  readonly badLines = new Set<number>();
  private pending: Buffer[] = [];
  private line = 1;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const end = chunk.lastIndexOf(0x0a);
    if (end < 0) {
      this.pending.push(chunk);
      callback();
      return;
    }
    const whole = Buffer.concat([...this.pending, chunk.subarray(0, end + 1)]);
    this.pending = end + 1 < chunk.length ? [chunk.subarray(end + 1)] : [];
    this.check(whole);
    callback(null, whole);
  }

  override _flush(callback: TransformCallback): void {
    const rest = Buffer.concat(this.pending);
    this.check(rest);
    callback(null, rest);
  }

  private check(bytes: Buffer): void {
    for (const k of notUtf8Lines(bytes)) this.badLines.add(this.line + k);
    for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) this.line++;
  }
}

/**
 * csv-parse's streaming parser, with each record tagged with the line it starts on, and records handed on in
 * batches (one array per input chunk) so that the readers pay the async-iteration cost once per batch rather
 * than once per row. The line comes from the parser's own `info` counters, read at the moment the record is
 * pushed; `info: true` would copy the whole info object for every record, which halves the throughput. The
 * record delimiters are fixed to \r\n and \n: csv-parse's auto-detection takes the first line's and then
 * miscounts lines in files that mix the two.
 */
class LineParser extends Parser {
  private prevEnd = 0;
  private prevEmpty = 0;
  private prevComment = 0;
  private batch: CsvRow[] = [];

  constructor(delimiter: string, quote: boolean) {
    super({
      delimiter,
      quote: quote ? '"' : false,
      raw: true,
      bom: true,
      record_delimiter: ["\r\n", "\n"],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // One batch waiting at a time: parsed rows that pile up in the stream's buffer survive the young
      // generation and make garbage collection the largest cost.
      readableHighWaterMark: 1,
    } as ConstructorParameters<typeof Parser>[0]);
    this.on("skip", (err: Error | undefined, raw: string | undefined) => {
      this.push({ record: [], raw: raw ?? "", line: 0, error: err?.message ?? "unparsable CSV record" });
    });
  }

  /** How many lines csv-parse counted twice: it counts \r and \n separately inside quoted fields. */
  private doubleCounted = 0;

  private startLine(raw: string): number {
    const info = this.info;
    const start =
      this.prevEnd + 1 + (info.empty_lines - this.prevEmpty) + (info.comment_lines - this.prevComment);
    // In `raw` the \n of a \r\n record delimiter is left out, so a \r\n in it lies inside a quoted field.
    let at = raw.indexOf("\r\n");
    while (at >= 0) {
      this.doubleCounted++;
      at = raw.indexOf("\r\n", at + 2);
    }
    this.prevEnd = info.lines - this.doubleCounted;
    this.prevEmpty = info.empty_lines;
    this.prevComment = info.comment_lines;
    return start;
  }

  private flushBatch(): void {
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    super.push(batch);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      this.flushBatch();
      return super.push(null, encoding);
    }
    const row = chunk as CsvRow;
    row.line = this.startLine(row.raw);
    this.batch.push(row);
    return true;
  }

  override _transform(buf: Buffer, encoding: BufferEncoding, callback: TransformCallback): void {
    super._transform(buf, encoding, (err?: Error | null) => {
      this.flushBatch();
      callback(err);
    });
  }

  override _flush(callback: TransformCallback): void {
    super._flush((err?: Error | null) => {
      this.flushBatch();
      callback(err);
    });
  }
}

/** The record's text as it stood in the file (without the surrounding line breaks), cut to 2,000 chars. */
export function cleanRaw(raw: string): string {
  return truncateRaw(raw.replace(/^[\r\n]+|[\r\n]+$/g, ""));
}

/** Every record of a CSV/TSV file (gzip or not), header included, with line numbers, in batches. */
export async function* csvRows(
  file: string,
  delimiter: string,
  quote = true,
  countBytes?: ByteCounter,
): AsyncGenerator<CsvRow[], void, undefined> {
  const input = await openBytes(file, countBytes);
  const parser = new LineParser(delimiter, quote);
  const utf8 = new Utf8LineCheck();
  input.on("error", (err) => parser.destroy(err));
  input.pipe(utf8).pipe(parser);
  try {
    for await (const batch of parser) {
      const rows = batch as CsvRow[];
      if (utf8.badLines.size > 0)
        for (const row of rows) {
          // A record spans as many lines as its text has line breaks inside it (quoted fields may hold
          // some); raw also carries the record's delimiter, which is not one of its lines.
          const inside = row.raw.replace(/^[\r\n]+|[\r\n]+$/g, "");
          let last = row.line;
          for (let at = inside.indexOf("\n"); at >= 0; at = inside.indexOf("\n", at + 1)) last++;
          for (let l = row.line; l <= last && !row.notUtf8; l++) if (utf8.badLines.has(l)) row.notUtf8 = true;
        }
      yield rows;
    }
  } catch (err) {
    throw fileError(file, streamErrorText(err));
  } finally {
    input.destroy();
    parser.destroy();
  }
}

/** Normalised column name for lenient header matching: case, `_`, `-`, spaces and dots ignored. */
export function normColumn(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]/g, "");
}
