import { isUtf8 } from "node:buffer";
import { createReadStream, type Dirent } from "node:fs";
import { open, readdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGunzip, gunzip } from "node:zlib";
import type { IngestOptions } from "./types.js";

const gunzipAsync = promisify(gunzip);

/** Read size: 64 KiB is about a thousand CSV rows per batch, few enough to die young. */
const CHUNK = 64 * 1024;

/** A whole-file problem: an Error whose one-line message names the file. */
export function fileError(file: string, message: string): Error {
  return new Error(`${file}: ${message.replace(/\s*\n\s*/g, " ")}`);
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "no such file or directory";
  if (e?.code === "EACCES") return "permission denied";
  if (e?.code === "EISDIR") return "is a directory, expected a file";
  return e?.message ?? String(err);
}

async function firstBytes(file: string, n: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw fileError(file, describeFsError(err));
  }
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    throw fileError(file, describeFsError(err));
  } finally {
    await handle.close();
  }
}

/** True when the file is gzip-compressed: by its `.gz` extension or by its magic bytes. */
export async function isGzip(file: string): Promise<boolean> {
  if (file.toLowerCase().endsWith(".gz")) return true;
  const head = await firstBytes(file, 2);
  return head.length === 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Told how many bytes of a file were read from disk (compressed bytes of a .gz), for progress by size. */
export type ByteCounter = (bytes: number) => void;

/** The file's bytes as a stream, decompressed when gzip. Throws a one-line error when it cannot be opened. */
export async function openBytes(file: string, countBytes?: ByteCounter): Promise<Readable> {
  const gz = await isGzip(file);
  const src = createReadStream(file, { highWaterMark: CHUNK });
  if (countBytes) src.on("data", (chunk) => countBytes(chunk.length));
  if (!gz) return src;
  const out = createGunzip({ chunkSize: CHUNK });
  src.on("error", (err) => out.destroy(err));
  return src.pipe(out);
}

/** The whole file, decompressed when gzip. */
export async function readBytes(file: string, countBytes?: ByteCounter): Promise<Buffer> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    throw fileError(file, describeFsError(err));
  }
  countBytes?.(buf.length);
  if (file.toLowerCase().endsWith(".gz") || (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b)) {
    try {
      buf = await gunzipAsync(buf);
    } catch (err) {
      throw fileError(file, `not a valid gzip file (${(err as Error).message})`);
    }
  }
  return buf;
}

/** The message for an error met while streaming a file: gzip errors say so. */
export function streamErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === "string" && e.code.startsWith("Z_")) return `not a valid gzip file (${e.message})`;
  return `cannot read: ${describeFsError(err)}`;
}

/** The first bytes of the (decompressed) content, for sniffing a format. */
export async function peekText(file: string, n = 4096): Promise<string> {
  if (!(await isGzip(file))) return (await firstBytes(file, n)).toString("utf8");
  const stream = await openBytes(file);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= n) break;
    }
  } catch (err) {
    throw fileError(file, streamErrorText(err));
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n).toString("utf8");
}

export async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

const SPOTIFY_FILE =
  /^(StreamingHistory.*\.json|Streaming_History_Audio_.*\.json|endsong_.*\.json|.*\.csv(\.gz)?)$/i;
const GENERIC_FILE = /\.(csv|tsv|jsonl|ndjson|json)(\.gz)?$|\.parquet$/i;
const MOVIELENS_FILE = /^(u\.data|ratings\.(csv|dat)(\.gz)?)$/i;
const LASTFM_FILE = /^user_artists\.dat(\.gz)?$/i;

/** Which files in a folder belong to a preset; Spotify's folders are searched recursively (exports nest). */
function folderRule(options: IngestOptions): { match: RegExp; recursive: boolean } {
  switch (options.preset ?? "tastebud") {
    case "spotify":
      return { match: SPOTIFY_FILE, recursive: true };
    case "movielens":
      return { match: MOVIELENS_FILE, recursive: false };
    case "lastfm":
      return { match: LASTFM_FILE, recursive: false };
    default:
      return { match: GENERIC_FILE, recursive: false };
  }
}

async function walk(dir: string, match: RegExp, recursive: boolean, out: string[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw fileError(dir, describeFsError(err));
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) await walk(p, match, recursive, out);
    } else if (match.test(basename(p))) {
      out.push(p);
    }
  }
}

/** Code-point order, except that runs of digits compare as numbers (StreamingHistory2 before StreamingHistory10). */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i];
    const y = rb[i];
    if (x === y) continue;
    const dx = x.charCodeAt(0) <= 57 && x.charCodeAt(0) >= 48;
    const dy = y.charCodeAt(0) <= 57 && y.charCodeAt(0) >= 48;
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    }
    return x < y ? -1 : 1;
  }
  return ra.length - rb.length;
}

/**
 * The files a readSource call reads: files given by path are kept as they are (whatever their name); folders
 * are expanded to the preset's files (spotify: StreamingHistory*.json, Streaming_History_Audio_*.json,
 * endsong_*.json and *.csv(.gz), recursively; movielens: u.data, ratings.csv, ratings.dat; lastfm:
 * user_artists.dat; tastebud: *.csv, *.tsv, *.jsonl, *.ndjson, *.json (each optionally .gz) and *.parquet).
 * Sorted with numbers in names compared as numbers (StreamingHistory2 before StreamingHistory10), no duplicates.
 */
export async function listSourceFiles(paths: string[], options: IngestOptions = {}): Promise<string[]> {
  const { match, recursive } = folderRule(options);
  const out: string[] = [];
  for (const p of paths) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (err) {
      throw fileError(p, describeFsError(err));
    }
    if (isDir) await walk(p, match, recursive, out);
    else out.push(p);
  }
  return [...new Set(out)].sort(naturalCompare);
}

/** Why a line whose bytes are not UTF-8 is rejected (its text shows U+FFFD where the bad bytes were). */
export const notUtf8Reason = "not valid UTF-8 text (bytes that no UTF-8 character is made of)";

/**
 * The lines of a text file (gzip or not, UTF-8), in batches, with the 1-based number of each batch's first
 * line, and the indexes within the batch of lines whose bytes are not valid UTF-8. Lines are cut at the
 * byte 0x0A (which no multi-byte UTF-8 character contains) and checked before decoding: a decoder would
 * turn bad bytes into U+FFFD silently, so two different ids could become one stored id.
 */
export async function* lineBatches(
  file: string,
  countBytes?: ByteCounter,
): AsyncGenerator<{ lines: string[]; first: number; notUtf8: number[] }, void, undefined> {
  const input = await openBytes(file, countBytes);
  // The bytes after the last line break seen: a list, so that one very long line costs no repeated copies.
  let pending: Buffer[] = [];
  let next = 1;
  let start = true;
  try {
    for await (const chunk of input) {
      let bytes: Buffer = chunk as Buffer;
      const end = bytes.lastIndexOf(0x0a);
      if (end < 0) {
        pending.push(bytes);
        continue;
      }
      const whole = pending.length
        ? Buffer.concat([...pending, bytes.subarray(0, end)])
        : bytes.subarray(0, end);
      pending = end + 1 < bytes.length ? [bytes.subarray(end + 1)] : [];
      bytes = whole;
      if (start) {
        bytes = withoutBom(bytes);
        start = false;
      }
      const batch = decodeLines(bytes);
      yield { ...batch, first: next };
      next += batch.lines.length;
    }
    if (pending.length) {
      let bytes: Buffer = Buffer.concat(pending);
      if (start) bytes = withoutBom(bytes);
      if (bytes.length > 0) yield { ...decodeLines(bytes), first: next };
    }
  } catch (err) {
    throw fileError(file, streamErrorText(err));
  } finally {
    input.destroy();
  }
}

function withoutBom(bytes: Buffer): Buffer {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/**
 * Indexes (0-based) of the \n-separated lines of `bytes` whose bytes are not valid UTF-8; one check when all
 * are. Decoding the whole buffer then splits at the same places: a bad sequence never takes the 0x0A after it.
 */
export function notUtf8Lines(bytes: Buffer): number[] {
  if (isUtf8(bytes)) return [];
  const bad: number[] = [];
  for (let from = 0, k = 0; ; k++) {
    const at = bytes.indexOf(0x0a, from);
    if (!isUtf8(bytes.subarray(from, at < 0 ? bytes.length : at))) bad.push(k);
    if (at < 0) return bad;
    from = at + 1;
  }
}

/** Lines of `bytes` (split at \n, a trailing \r dropped), and which are not UTF-8. */
function decodeLines(bytes: Buffer): { lines: string[]; notUtf8: number[] } {
  const lines = bytes.toString("utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return { lines, notUtf8: notUtf8Lines(bytes) };
}
