import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";

/** PostgreSQL's binary COPY signature: "PGCOPY\n\377\r\n\0". */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);

/**
 * Writes the one field of a one-row, one-column binary COPY (`COPY (SELECT bytes ...) TO STDOUT (FORMAT
 * binary)`) to `path` as it streams in, and returns its length. The rows of a query come whole and as text
 * (a bytea as hex, twice its size), so a model file of tens of MB would be one long block of decoding on
 * the calling thread; streamed, it is the network's chunks copied to the file.
 */
export async function writeCopiedField(source: Readable, path: string): Promise<number> {
  const out = createWriteStream(path);
  let head: Buffer = Buffer.alloc(0);
  /** Bytes of the field still to come; -1 until the header has been read. */
  let remaining = -1;
  let length = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      let rest = chunk;
      if (remaining < 0) {
        head = Buffer.concat([head, chunk]);
        const field = fieldStart(head);
        if (field === null) continue;
        length = remaining = field.length;
        rest = head.subarray(field.offset);
      }
      const part = rest.subarray(0, remaining);
      remaining -= part.length;
      if (part.length > 0 && !out.write(part)) await once(out, "drain");
    }
    if (remaining !== 0) throw new Error(`binary COPY ended ${remaining < 0 ? "in its header" : "early"}`);
  } finally {
    out.end();
    await finished(out).catch(() => {});
  }
  return length;
}

/** Where the first row's only field starts and how long it is, or null until `head` holds that much. */
function fieldStart(head: Buffer): { offset: number; length: number } | null {
  if (head.length < 19) return null;
  if (!head.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error("not a binary COPY stream");
  const tuple = 19 + head.readUInt32BE(15);
  if (head.length < tuple + 6) return null;
  const fields = head.readInt16BE(tuple);
  if (fields !== 1)
    throw new Error(fields === -1 ? "binary COPY has no row" : `expected 1 field, got ${fields}`);
  const length = head.readInt32BE(tuple + 2);
  if (length < 0) throw new Error("binary COPY field is null");
  return { offset: tuple + 6, length };
}

/** A row of `(text, text, file contents)` for a binary COPY: the file is read as the COPY is sent. */
export interface FileRow {
  texts: readonly string[];
  path: string;
}

/**
 * A binary COPY stream (`COPY t (text columns..., bytea) FROM STDIN (FORMAT binary)`) of rows whose last
 * field is a file's bytes, read from disk chunk by chunk as the server takes them. Sent as a query
 * parameter, a model file of tens of MB is read whole on the calling thread and copied into one
 * protocol message; streamed, the thread only passes chunks along, so a server that registers a model
 * keeps answering meanwhile.
 */
export async function* binaryCopyOfFiles(rows: readonly FileRow[]): AsyncGenerator<Buffer> {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header);
  yield header; // flags and header-extension length: both 0
  for (const row of rows) {
    const size = (await stat(row.path)).size;
    const texts = row.texts.map((t) => Buffer.from(t, "utf8"));
    const head = Buffer.alloc(2 + texts.reduce((n, t) => n + 4 + t.length, 0) + 4);
    let at = head.writeInt16BE(texts.length + 1, 0);
    for (const t of texts) {
      at = head.writeInt32BE(t.length, at);
      at += t.copy(head, at);
    }
    head.writeInt32BE(size, at);
    yield head;
    let sent = 0;
    for await (const chunk of createReadStream(row.path) as AsyncIterable<Buffer>) {
      sent += chunk.length;
      if (sent > size) break;
      yield chunk;
    }
    // The length went out before the bytes: a file that changed size meanwhile would corrupt the stream.
    if (sent !== size) throw new Error(`${row.path} changed while it was sent (${size} -> ${sent} bytes)`);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1);
  yield trailer;
}
