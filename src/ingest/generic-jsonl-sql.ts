/**
 * The generic format in JSON lines (generic.ts, readGenericJsonl) as a bulk plan (issue 14): the store reads
 * the file as lines (as for the Spotify CSV), DuckDB's JSON functions take each line apart, and SQL vouches
 * only for the lines whose every field it can prove JSON.parse and the JavaScript rules read to the same
 * value; every other line is judged by the reader's own jsonLineRecord, so reasons, rejects and keys are that
 * reader's. DuckDB's parser is more lenient than JSON.parse (NaN, Infinity, trailing commas), and a key given
 * twice is the last one to JSON.parse: lines that may hold either, control characters, or escapes of control
 * characters or surrogates are left to JavaScript. Per field, by the JSON value's type:
 *
 * - text fields (user, item, requestId): a string, trimmed as String.prototype.trim does, or an integer
 *   literal within 2^53 (toText prints the number: its digits);
 * - endTime: a string in the text forms of sql-rules.ts, or an integer literal as unix seconds or milliseconds;
 * - playedMs, itemLengthMs: integer literals and digit strings, in range; weight: integer literals within 2^53
 *   other than 0 (JSON.parse reads -0 as -0, DuckDB as 0);
 * - endReason: one of the reasons exactly; requestText: any string of at most 2,000 bytes.
 *
 * Missing (absent, null or "") is absent, or the fallback user or end time. A context, a deviceType or an
 * eventId that is present sends the line to JavaScript. generic-jsonl-sql.test.ts checks both paths agree.
 */
import { endReasons, eventTimeMs } from "../schema/events.js";
import type { BulkJsonLinesPlan, BulkSelect, LineVerdict } from "../store/bulk-ingest.js";
import { newReadContext, type ReadContext } from "./context.js";
import { type GenericField, genericFields, jsonLineRecord, type Keys, objectKeys } from "./generic.js";
import { jsTrimSql, sqlString, timeMsSql, timePartsSql } from "./sql-rules.js";
import type { IngestOptions } from "./types.js";
import { MAX_PLAYED_MS } from "./values.js";

const MAX_SAFE = 9_007_199_254_740_991;
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/**
 * Lines SQL may read: a JSON object by DuckDB's parser, without what it accepts and JSON.parse does not (NaN,
 * Infinity, trailing commas: any text that looks like them, in strings too), control characters or escapes of
 * control characters and surrogates, or a key given twice.
 */
function plainObjectSql(line: string): string {
  return `(json_valid(${line})
    AND NOT regexp_matches(${line}, '[\\x00-\\x08\\x0B-\\x1F]|,\\s*[}\\]]|[:\\[,]\\s*[+-]?(?i:nan|inf)')
    AND (strpos(${line}, '\\') = 0 OR NOT regexp_matches(${line}, '\\\\u(?:00[01]|[dD][89a-fA-F])')))`;
}

export class GenericJsonLinesPlan implements BulkJsonLinesPlan {
  readonly kind = "jsonl";
  private readonly ctx: ReadContext;
  private readonly keys: Keys;

  constructor(
    private readonly file: string,
    options: IngestOptions,
  ) {
    this.ctx = newReadContext(options);
    this.keys = objectKeys(this.ctx);
    // A key JSON paths cannot name plainly, or one every object has (Object.prototype's): row by row.
    for (const key of Object.values(this.keys)) {
      if (typeof key !== "string" || /["\\]/.test(key) || key in {} || key === "")
        throw new Error(`the key ${JSON.stringify(key)} is for the row-by-row reader`);
    }
  }

  select(line: string): BulkSelect {
    const paths = genericFields.map((f) => sqlString(`$."${this.keys[f]}"`)).join(", ");
    // Each value's text and JSON type, found with one parse of the line each (a list of paths).
    const shape = `${plainObjectSql(line)} AND starts_with(ltrim(${line}, ' \t'), '{')`;
    const fields = {
      f_s: `CASE WHEN ${shape} THEN json_extract_string(${line}, [${paths}]) END`,
      f_t: `CASE WHEN ${shape} THEN json_type(${line}, [${paths}]) END`,
      f_keys: `CASE WHEN ${shape} THEN json_keys(${line}) END`,
    };
    const derived: Record<string, string> = {};
    for (const f of genericFields) {
      const k = genericFields.indexOf(f) + 1;
      derived[`d_${f}_t`] = `f_t[${k}]`;
      derived[`d_${f}_s`] = `f_s[${k}]`;
    }
    derived.d_end_parts = `CASE WHEN f_t[${genericFields.indexOf("endTime") + 1}] = 'VARCHAR' THEN ${timePartsSql(`f_s[${genericFields.indexOf("endTime") + 1}]`)} END`;
    const t = (f: GenericField) => `d_${f}_t`;
    const s = (f: GenericField) => `d_${f}_s`;
    const missing = (f: GenericField) =>
      `(${t(f)} IS NULL OR ${t(f)} = 'NULL' OR (${t(f)} = 'VARCHAR' AND ${s(f)} = ''))`;
    const integer = (f: GenericField) => `${t(f)} IN ('UBIGINT', 'BIGINT')`;
    const n = (f: GenericField) => `TRY_CAST(${s(f)} AS BIGINT)`;
    const text = (f: GenericField) =>
      `CASE WHEN ${t(f)} = 'VARCHAR' THEN ${jsTrimSql(s(f))} WHEN ${integer(f)} AND abs(${n(f)}) <= ${MAX_SAFE} THEN ${n(f)}::VARCHAR END`;
    const fallback = (f: GenericField, value: string, literal: string | undefined) =>
      literal === undefined ? value : `CASE WHEN ${missing(f)} THEN ${literal} ELSE ${value} END`;
    const { user: fallbackUser } = this.ctx.options;
    const ms = (f: GenericField) =>
      `CASE WHEN ${integer(f)} AND ${n(f)} > -100000000000 AND ${n(f)} < 100000000000 THEN ${n(f)} * 1000
        WHEN ${integer(f)} AND ${n(f)} BETWEEN ${MIN_MS} AND ${MAX_MS} THEN ${n(f)}
        WHEN ${t(f)} = 'VARCHAR' THEN ${timeMsSql(s(f), "d_end_parts")} END`;
    const whole = (f: GenericField, min: number, max: number) =>
      `CASE WHEN ${integer(f)} OR (${t(f)} = 'VARCHAR' AND regexp_full_match(${s(f)}, '[0-9]{1,15}')) THEN
        CASE WHEN ${n(f)} BETWEEN ${min} AND ${max} THEN ${n(f)} END END`;
    const values = {
      user: fallback("user", text("user"), fallbackUser === undefined ? undefined : sqlString(fallbackUser)),
      item: text("item"),
      endMs: fallback(
        "endTime",
        ms("endTime"),
        this.ctx.defaultEndTime === undefined ? undefined : String(eventTimeMs(this.ctx.defaultEndTime)),
      ),
      playedMs: whole("playedMs", 0, MAX_PLAYED_MS),
      itemLengthMs: `CASE WHEN NOT ${missing("itemLengthMs")} THEN ${whole("itemLengthMs", 1, MAX_SAFE)} END`,
      weight: `CASE WHEN ${integer("weight")} THEN ${n("weight")}::DOUBLE END`,
      weightText: `CASE WHEN ${integer("weight")} THEN ${n("weight")}::VARCHAR END`,
      endReason: `CASE WHEN NOT ${missing("endReason")} THEN ${s("endReason")} END`,
      requestText: `CASE WHEN NOT ${missing("requestText")} THEN ${s("requestText")} END`,
      requestId: `CASE WHEN NOT ${missing("requestId")} THEN ${text("requestId")} END`,
    };
    const reasons = endReasons.map(sqlString).join(", ");
    const ok = [
      "f_s IS NOT NULL",
      "len(f_keys) = len(list_distinct(f_keys))",
      "user_id <> ''",
      "strlen(user_id) <= 200",
      "item_id <> ''",
      "strlen(item_id) <= 1000",
      "end_ms BETWEEN " + MIN_MS + " AND " + MAX_MS,
      "played_ms IS NOT NULL",
      `(${missing("itemLengthMs")} OR item_length_ms IS NOT NULL)`,
      `(${missing("weight")} OR (${integer("weight")} AND ${n("weight")} <> 0 AND abs(${n("weight")}) <= ${MAX_SAFE}))`,
      `(${missing("endReason")} OR (${t("endReason")} = 'VARCHAR' AND ${s("endReason")} IN (${reasons})))`,
      `(${missing("requestText")} OR (${t("requestText")} = 'VARCHAR' AND strlen(${s("requestText")}) <= 2000))`,
      `(${missing("requestId")} OR (request_id <> '' AND strlen(request_id) <= 200))`,
      missing("context"),
      missing("deviceType"),
      missing("eventId"),
    ].join(" AND ");
    return { fields, derived, values, ok: `coalesce(${ok}, false)` };
  }

  judge(lines: { line: number; text: string }[]): LineVerdict[] {
    return lines.map(({ line, text }) => {
      // The row-by-row reader drops a byte order mark before the first line.
      const t = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
      const trimmed = t.trim();
      if (trimmed === "") return "irregular";
      const r = jsonLineRecord(this.file, line, t, trimmed, this.keys, this.ctx);
      if (r.kind === "reject") return { bad: { field: r.field, reason: r.reason }, raw: r.raw };
      if (r.kind !== "play" || r.event.eventId !== undefined) return "irregular";
      return { event: r.event };
    });
  }
}
