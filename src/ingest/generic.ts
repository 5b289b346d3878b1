import type { PlayEvent } from "../schema/events.js";
import { arraySuffix, BATCH, type Batches, type ReadContext, rejectRecord } from "./context.js";
import { cleanRaw, csvRows, normColumn } from "./csv.js";
import { type ByteCounter, fileError, lineBatches, notUtf8Reason, peekText, readBytes } from "./files.js";
import { sqlString } from "./sql-rules.js";
import type { FormatName, IngestRecord } from "./types.js";
import {
  Bad,
  isMissing,
  MAX_PLAYED_MS,
  rawJson,
  show,
  toContext,
  toEndReason,
  toInt,
  toNumber,
  toText,
  toTime,
  truncateRaw,
  validateEvent,
} from "./values.js";

/**
 * The fields a generic source may carry: PlayEvent's own, plus `deviceType` (a shortcut for
 * context.deviceType). In CSV, `context` is JSON text.
 */
export const genericFields = [
  "user",
  "item",
  "endTime",
  "playedMs",
  "itemLengthMs",
  "weight",
  "context",
  "requestText",
  "endReason",
  "eventId",
  "deviceType",
  "requestId",
] as const;
export type GenericField = (typeof genericFields)[number];

/** Where each field is found in a row: a column index (CSV, Parquet) or an object key (JSON). */
export type Keys = Partial<Record<GenericField, string | number>>;
export type Row = Record<string | number, unknown>;

/** Throws when `map` names a field we do not know. */
export function checkMap(map: Record<string, string> | undefined): void {
  if (map === undefined) return;
  for (const [field, column] of Object.entries(map)) {
    if (!(genericFields as readonly string[]).includes(field)) {
      throw new Error(`map: unknown field "${field}"; the fields are ${genericFields.join(", ")}`);
    }
    if (typeof column !== "string" || column === "") {
      throw new Error(`map: the column for "${field}" must be a non-empty string`);
    }
  }
}

/** Finds each field's column in a header; throws a one-line error for a missing required column. */
export function columnKeys(columns: string[], ctx: ReadContext, file: string, what: string): Keys {
  const map = ctx.options.map ?? {};
  const keys: Keys = {};
  const list = columns.map((c) => JSON.stringify(c)).join(", ");
  for (const field of genericFields) {
    const wanted = map[field];
    if (wanted !== undefined) {
      const i = columns.indexOf(wanted);
      if (i < 0)
        throw fileError(file, `column "${wanted}" (mapped to ${field}) is not in the ${what} (${list})`);
      keys[field] = i;
      continue;
    }
    let i = columns.indexOf(field);
    if (i < 0) i = columns.findIndex((c) => normColumn(c) === normColumn(field));
    if (i >= 0) keys[field] = i;
  }
  const required: GenericField[] = ["item", "playedMs"];
  if (ctx.options.user === undefined) required.unshift("user");
  if (ctx.defaultEndTime === undefined) required.push("endTime");
  for (const field of required) {
    if (keys[field] === undefined) {
      throw fileError(
        file,
        `missing required column "${field}" in the ${what} (${list}); rename it or pass map.${field}`,
      );
    }
  }
  return keys;
}

export function objectKeys(ctx: ReadContext): Keys {
  const keys: Keys = {};
  for (const field of genericFields) keys[field] = ctx.options.map?.[field] ?? field;
  return keys;
}

function at(row: Row, key: string | number | undefined): unknown {
  return key === undefined ? undefined : row[key];
}

/** A reject when a CSV row is too short to have the field's column. */
function shortRow(
  row: Row,
  key: string | number | undefined,
  field: GenericField,
  width: number,
): Bad | undefined {
  if (width === 0 || typeof key !== "number") return undefined;
  const len = (row as unknown as unknown[]).length;
  return key >= len
    ? new Bad(field, `missing value (the row has ${len} of the header's ${width} columns)`)
    : undefined;
}

/**
 * One generic row to a validated PlayEvent. Fields are checked in the order user, item, endTime, playedMs,
 * itemLengthMs, weight, context/deviceType, requestText, endReason, eventId, requestId; the first bad one is reported.
 * `width` is the header's column count (CSV) so that a short row can be named as such.
 */
export function convert(row: Row, k: Keys, ctx: ReadContext, width: number): PlayEvent | Bad {
  let raw = at(row, k.user);
  let user: string | Bad;
  if (isMissing(raw) && ctx.options.user !== undefined) user = ctx.options.user;
  else user = shortRow(row, k.user, "user", width) ?? toText(raw, "user");
  if (user instanceof Bad) return user;

  const item = shortRow(row, k.item, "item", width) ?? toText(at(row, k.item), "item");
  if (item instanceof Bad) return item;

  raw = at(row, k.endTime);
  let endTime: string | Bad;
  if (isMissing(raw) && ctx.defaultEndTime !== undefined) endTime = ctx.defaultEndTime;
  else endTime = shortRow(row, k.endTime, "endTime", width) ?? toTime(raw);
  if (endTime instanceof Bad) return endTime;

  const playedMs =
    shortRow(row, k.playedMs, "playedMs", width) ??
    toInt(at(row, k.playedMs), "playedMs", false, MAX_PLAYED_MS);
  if (playedMs instanceof Bad) return playedMs;

  const event: PlayEvent = { user, item, endTime, playedMs };

  raw = at(row, k.itemLengthMs);
  if (!isMissing(raw)) {
    const v = toInt(raw, "itemLengthMs", true);
    if (v instanceof Bad) return v;
    event.itemLengthMs = v;
  }
  raw = at(row, k.weight);
  if (!isMissing(raw)) {
    const v = toNumber(raw, "weight");
    if (v instanceof Bad) return v;
    event.weight = v;
  }
  raw = at(row, k.context);
  const device = at(row, k.deviceType);
  if (!isMissing(raw) || !isMissing(device)) {
    let context: Record<string, unknown> = {};
    if (!isMissing(raw)) {
      const v = toContext(raw);
      if (v instanceof Bad) return v;
      context = v;
    }
    if (!isMissing(device)) {
      if (typeof device !== "string") return new Bad("deviceType", `expected text, got ${show(device)}`);
      context = { ...context, deviceType: device.trim() };
    }
    event.context = context as PlayEvent["context"];
  }
  raw = at(row, k.requestText);
  if (!isMissing(raw)) {
    if (typeof raw !== "string") return new Bad("requestText", `expected text, got ${show(raw)}`);
    event.requestText = raw;
  }
  raw = at(row, k.endReason);
  if (!isMissing(raw)) {
    const v = toEndReason(typeof raw === "string" ? raw.trim() : raw);
    if (v instanceof Bad) return v;
    event.endReason = v;
  }
  raw = at(row, k.eventId);
  if (!isMissing(raw)) {
    const v = toText(raw, "eventId");
    if (v instanceof Bad) return v;
    event.eventId = v;
  }
  raw = at(row, k.requestId);
  if (!isMissing(raw)) {
    const v = toText(raw, "requestId");
    if (v instanceof Bad) return v;
    event.requestId = v;
  }
  return validateEvent(event);
}

/** The generic format of a file: options.format, else by extension, else sniffed from the first bytes. */
export async function genericFormat(file: string, ctx: ReadContext): Promise<FormatName> {
  if (ctx.options.format !== undefined) return ctx.options.format;
  const name = file.toLowerCase().replace(/\.gz$/, "");
  if (name.endsWith(".parquet")) return "parquet";
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".csv") || name.endsWith(".tsv") || name.endsWith(".txt")) return "csv";
  const head = await peekText(file, 512);
  if (head.startsWith("PAR1")) return "parquet";
  const first = head.trimStart()[0];
  if (first === "[") return "json";
  if (first === "{") return "jsonl";
  return "csv";
}

/** Tab for .tsv files or a first line with tabs and no commas; otherwise comma. */
export async function sniffDelimiter(file: string): Promise<string> {
  if (/\.tsv(\.gz)?$/i.test(file)) return "\t";
  const head = await peekText(file, 4096);
  const firstLine = head.split(/\r?\n/, 1)[0] ?? "";
  return firstLine.includes("\t") && !firstLine.includes(",") ? "\t" : ",";
}

export async function* readGenericCsv(file: string, ctx: ReadContext): Batches {
  const delimiter = await sniffDelimiter(file);
  let keys: Keys | undefined;
  let width = 0;
  for await (const rows of csvRows(file, delimiter, true, ctx.countBytes)) {
    const out: IngestRecord[] = [];
    for (const row of rows) {
      if (keys === undefined) {
        if (row.error !== undefined) throw fileError(file, `cannot parse the CSV header: ${row.error}`);
        const columns = row.record.map((c) => c.trim());
        keys = columnKeys(columns, ctx, file, "CSV header");
        width = columns.length;
        continue;
      }
      if (row.error !== undefined) {
        const bad = new Bad("row", `unparsable CSV record: ${row.error}`);
        out.push(rejectRecord(file, row.line, bad, cleanRaw(row.raw)));
        continue;
      }
      if (row.notUtf8) {
        out.push(rejectRecord(file, row.line, new Bad("row", notUtf8Reason), cleanRaw(row.raw)));
        continue;
      }
      const r = convert(row.record as unknown as Row, keys, ctx, width);
      if (r instanceof Bad) out.push(rejectRecord(file, row.line, r, cleanRaw(row.raw)));
      else out.push({ kind: "play", event: r, file, line: row.line });
    }
    yield out;
  }
  if (keys === undefined) throw fileError(file, "empty file: expected a CSV header line");
}

/** One non-blank line of a JSON lines file (`trimmed`: its text trimmed) as a play or a reject. */
export function jsonLineRecord(
  file: string,
  line: number,
  text: string,
  trimmed: string,
  keys: Keys,
  ctx: ReadContext,
): IngestRecord {
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    const bad = new Bad("row", `not valid JSON: ${(err as Error).message}`);
    return rejectRecord(file, line, bad, truncateRaw(text));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const bad = new Bad("row", `expected a JSON object, got ${show(value)}`);
    return rejectRecord(file, line, bad, truncateRaw(text));
  }
  const r = convert(value as Row, keys, ctx, 0);
  if (r instanceof Bad) return rejectRecord(file, line, r, truncateRaw(text));
  return { kind: "play", event: r, file, line };
}

export async function* readGenericJsonl(file: string, ctx: ReadContext): Batches {
  const keys = objectKeys(ctx);
  for await (const { lines, first, notUtf8 } of lineBatches(file, ctx.countBytes)) {
    const out: IngestRecord[] = [];
    const bytesBad = new Set(notUtf8);
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i];
      const line = first + i;
      const trimmed = text.trim();
      if (trimmed === "") continue;
      if (bytesBad.has(i)) {
        out.push(rejectRecord(file, line, new Bad("row", notUtf8Reason), truncateRaw(text)));
        continue;
      }
      out.push(jsonLineRecord(file, line, text, trimmed, keys, ctx));
    }
    yield out;
  }
}

/** Parses a whole JSON document; a syntax error is a whole-file problem. */
export async function readJsonDocument(file: string, countBytes?: ByteCounter): Promise<unknown> {
  const text = (await readBytes(file, countBytes)).toString("utf8");
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw fileError(file, `not a valid JSON document (${(err as Error).message})`);
  }
}

/** The rows of a JSON document that is an array, or an object holding one under `field`; else undefined. */
export function jsonRows(doc: unknown, field: string): unknown[] | undefined {
  if (Array.isArray(doc)) return doc;
  if (typeof doc !== "object" || doc === null) return undefined;
  const rows = (doc as Record<string, unknown>)[field];
  return Array.isArray(rows) ? rows : undefined;
}

export async function* readGenericJson(file: string, ctx: ReadContext): Batches {
  const list = jsonRows(await readJsonDocument(file, ctx.countBytes), "events");
  if (list === undefined)
    throw fileError(file, 'expected a JSON array of play events (or {"events": [...]})');
  const keys = objectKeys(ctx);
  let out: IngestRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    const line = i + 1;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      const bad = new Bad("row", `expected a JSON object, got ${show(value)}`);
      out.push(rejectRecord(file, line, bad, rawJson(value), arraySuffix(line)));
    } else {
      const r = convert(value as Row, keys, ctx, 0);
      if (r instanceof Bad) out.push(rejectRecord(file, line, r, rawJson(value), arraySuffix(line)));
      else out.push({ kind: "play", event: r, file, line });
    }
    if (out.length >= BATCH) {
      yield out;
      out = [];
    }
  }
  yield out;
}

/** DuckDB's reading of a Parquet file, as both readers run it (`options`: more of read_parquet's options). */
export function readParquetSql(file: string, options = ""): string {
  return `read_parquet(${sqlString(file)}${options ? `, ${options}` : ""})`;
}

/** Said in the reason of a reject from a Parquet file: its `line` is the row number. */
export function parquetRowSuffix(line: number): string {
  return ` (Parquet row ${line})`;
}

/** Parquet through an in-memory DuckDB, one data chunk (2,048 rows) at a time. `line` is the row number. */
export async function* readGenericParquet(file: string, ctx: ReadContext): Batches {
  // Loaded here, not with the module: DuckDB's native library is half a second of every process's start.
  const { DuckDBInstance, JSDuckDBValueConverter } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    let result: Awaited<ReturnType<typeof conn.stream>>;
    try {
      result = await conn.stream(`SELECT * FROM ${readParquetSql(file)}`);
    } catch (err) {
      throw fileError(file, `cannot read as Parquet: ${(err as Error).message.split("\n")[0]}`);
    }
    const columns = result.columnNames();
    const keys = columnKeys(columns, ctx, file, "Parquet columns");
    let line = 0;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const rows = chunk.convertRows(JSDuckDBValueConverter);
      const out: IngestRecord[] = [];
      for (const values of rows) {
        line++;
        const r = convert(values as unknown as Row, keys, ctx, 0);
        if (r instanceof Bad) {
          const obj: Record<string, unknown> = {};
          columns.forEach((c, i) => {
            obj[c] = values[i];
          });
          out.push(rejectRecord(file, line, r, rawJson(obj), parquetRowSuffix(line)));
        } else {
          out.push({ kind: "play", event: r, file, line });
        }
      }
      yield out;
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
