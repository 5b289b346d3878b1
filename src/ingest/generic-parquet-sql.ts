/**
 * The generic format in Parquet (generic.ts, readGenericParquet) as a bulk plan (issue 14): DuckDB reads the
 * file, and SQL vouches for the rows whose every field it can prove the JavaScript rules accept with the same
 * value; every other row (a context, an event id, a fractional weight, a type without a rule here, ...) is
 * judged by the row-by-row reader's own `convert` on the values it would have seen, so verdicts, reasons,
 * rejects and keys are that reader's. Each rule is per DuckDB type of the column, and each is proven against
 * the JavaScript rules by generic-parquet-sql.test.ts:
 *
 * - text fields (user, item, requestId): VARCHAR, trimmed as String.prototype.trim does (sql-rules.ts
 *   jsTrimSql), or an integer column (toText prints the number as DuckDB does);
 * - endTime: TIMESTAMP with or without a zone (the converter's Date: microseconds truncated to ms), the text
 *   forms of sql-rules.ts, or an integer column as unix seconds or milliseconds (time.ts fromEpoch);
 * - playedMs, itemLengthMs: integer columns, whole finite doubles, digit strings, in range;
 * - weight: integer columns and whole doubles below 2^53, whose String() is their digits;
 * - endReason: one of the reasons exactly; requestText: any VARCHAR of at most 2,000 bytes.
 *
 * A missing value (NULL, or '' in a VARCHAR column) is absent, or the fallback user or end time when given.
 */
import { endReasons, eventTimeMs } from "../schema/events.js";
import type {
  BulkSelect,
  BulkTablePlan,
  BulkValues,
  LineVerdict,
  SourceColumn,
} from "../store/bulk-ingest.js";
import { newReadContext, type ReadContext } from "./context.js";
import {
  columnKeys,
  convert,
  type GenericField,
  type Keys,
  parquetRowSuffix,
  type Row,
  readParquetSql,
} from "./generic.js";
import { jsTrimSql, playedMsSql, sqlString, timeMsSql, timePartsSql } from "./sql-rules.js";
import type { IngestOptions } from "./types.js";
import { Bad, MAX_PLAYED_MS, rawJson } from "./values.js";

const INTEGER_TYPES = new Set([
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "HUGEINT",
  "UTINYINT",
  "USMALLINT",
  "UINTEGER",
  "UBIGINT",
  "UHUGEINT",
]);
const FLOAT_TYPES = new Set(["FLOAT", "DOUBLE"]);
const TIMESTAMP_TYPES = new Set(["TIMESTAMP", "TIMESTAMP WITH TIME ZONE"]);
/** The largest integer a JavaScript number holds exactly (Number.MAX_SAFE_INTEGER). */
const MAX_SAFE = 9_007_199_254_740_991;
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/** A field's SQL: its value (NULL when absent) and whether the rules vouch for it. */
interface FieldSql {
  value: string;
  ok: string;
}

const absent: FieldSql = { value: "NULL", ok: "true" };

export class GenericParquetPlan implements BulkTablePlan {
  readonly kind = "table";
  private readonly ctx: ReadContext;
  private keys: Keys = {};
  private columnList: SourceColumn[] = [];

  constructor(
    private readonly file: string,
    options: IngestOptions,
  ) {
    this.ctx = newReadContext(options);
  }

  source(options: string): string {
    return readParquetSql(this.file, options);
  }

  columns(columns: SourceColumn[]): void {
    this.columnList = columns;
    this.keys = columnKeys(
      columns.map((c) => c.name),
      this.ctx,
      this.file,
      "Parquet columns",
    );
  }

  /** The field's column (as `column` gives it) and its DuckDB type; undefined when the file has none. */
  private at(field: GenericField, column: (name: string) => string) {
    const k = this.keys[field];
    if (k === undefined) return undefined;
    const c = this.columnList[k as number];
    return { sql: column(c.name), type: c.type };
  }

  select(column: (name: string) => string): BulkSelect {
    const fields: Record<string, string> = {};
    const derived: Record<string, string> = {};
    const get = (field: GenericField) => {
      const c = this.at(field, column);
      if (c === undefined) return undefined;
      const name = `f_${field}`;
      fields[name] = c.sql;
      return { sql: name, type: c.type };
    };
    const missing = (c: { sql: string; type: string }) =>
      c.type === "VARCHAR" ? `(${c.sql} IS NULL OR ${c.sql} = '')` : `${c.sql} IS NULL`;
    /** A field that must be absent for SQL to vouch (context, deviceType, eventId): else JavaScript judges. */
    const onlyAbsent = (field: GenericField): FieldSql => {
      const c = get(field);
      return c === undefined ? absent : { value: "NULL", ok: missing(c) };
    };
    const text = (field: GenericField, max: number): FieldSql | undefined => {
      const c = get(field);
      if (c === undefined) return undefined;
      if (c.type === "VARCHAR") {
        // toText: trimmed, then not empty; at most `max` UTF-16 units, never more than its UTF-8 bytes.
        const trimmed = `d_${field}`;
        derived[trimmed] = jsTrimSql(c.sql);
        return {
          value: `CASE WHEN ${missing(c)} THEN NULL ELSE ${trimmed} END`,
          ok: `(${trimmed} <> '' AND strlen(${trimmed}) <= ${max})`,
        };
      }
      if (INTEGER_TYPES.has(c.type)) return { value: `${c.sql}::VARCHAR`, ok: `${c.sql} IS NOT NULL` };
      return { value: "NULL", ok: "false" };
    };
    /** A required field, or its fallback (a literal) where the value is missing. */
    const withFallback = (
      field: GenericField,
      rule: FieldSql | undefined,
      fallback: string | undefined,
    ): FieldSql => {
      const c = this.at(field, column);
      if (rule === undefined)
        return fallback === undefined ? { value: "NULL", ok: "false" } : absentAs(fallback);
      if (fallback === undefined || c === undefined) return rule;
      const m = missing({ sql: `f_${field}`, type: c.type });
      return { value: `CASE WHEN ${m} THEN ${fallback} ELSE ${rule.value} END`, ok: `(${m} OR ${rule.ok})` };
    };
    const absentAs = (literal: string): FieldSql => ({ value: literal, ok: "true" });

    const { user: fallbackUser } = this.ctx.options;
    const user = withFallback(
      "user",
      text("user", 200),
      fallbackUser === undefined ? undefined : sqlString(fallbackUser),
    );
    const item = text("item", 1000) ?? { value: "NULL", ok: "false" };
    const endMs = withFallback(
      "endTime",
      this.endTime(get("endTime"), derived),
      this.ctx.defaultEndTime === undefined ? undefined : String(eventTimeMs(this.ctx.defaultEndTime)),
    );
    const playedMs = wholeMs(get("playedMs"), 0, MAX_PLAYED_MS, true);
    const itemLengthMs = wholeMs(get("itemLengthMs"), 1, MAX_SAFE, false);
    const weight = this.weight(get("weight"));
    const endReason = this.endReason(get("endReason"));
    const requestText = this.requestText(get("requestText"));
    const requestId = text("requestId", 200);
    const optionalId: FieldSql =
      requestId === undefined
        ? absent
        : {
            value: requestId.value,
            ok: `(${missing({ sql: "f_requestId", type: this.at("requestId", column)?.type ?? "" })} OR ${requestId.ok})`,
          };

    const values: BulkValues = {
      user: user.value,
      item: item.value,
      endMs: endMs.value,
      playedMs: playedMs.value,
      itemLengthMs: itemLengthMs.value,
      weight: weight.value,
      weightText: weight.text,
      endReason: endReason.value,
      requestText: requestText.value,
      requestId: optionalId.value,
    };
    const ok = [
      user.ok,
      item.ok,
      endMs.ok,
      "end_ms IS NOT NULL",
      playedMs.ok,
      "played_ms IS NOT NULL",
      itemLengthMs.ok,
      weight.ok,
      endReason.ok,
      requestText.ok,
      optionalId.ok,
      onlyAbsent("context").ok,
      onlyAbsent("deviceType").ok,
      onlyAbsent("eventId").ok,
    ].join(" AND ");
    return { fields, derived, values, ok: `coalesce(${ok}, false)` };
  }

  /** endTime as epoch ms (time.ts parseTime of what the converter gives). */
  private endTime(c: { sql: string; type: string } | undefined, derived: Record<string, string>) {
    if (c === undefined) return undefined;
    const v = c.sql;
    if (TIMESTAMP_TYPES.has(c.type)) {
      // The converter's Date truncates microseconds towards zero (BigInt division); below zero only whole
      // milliseconds are vouched for, where truncating and flooring agree.
      const us = `epoch_us(${v})`;
      const ms = `CASE WHEN isfinite(${v}) AND (${us} >= 0 OR ${us} % 1000 = 0) THEN ${us} // 1000 END`;
      return { value: ms, ok: `(${ms}) BETWEEN ${MIN_MS} AND ${MAX_MS}` };
    }
    if (c.type === "VARCHAR") {
      derived.d_end_parts = timePartsSql(v);
      return { value: timeMsSql(v, "d_end_parts"), ok: "true" };
    }
    if (INTEGER_TYPES.has(c.type)) {
      // fromEpoch: seconds below 1e11 (in magnitude), else milliseconds.
      const ms = `CASE WHEN ${v} > -100000000000 AND ${v} < 100000000000 THEN TRY_CAST(${v} AS BIGINT) * 1000
        WHEN ${v} BETWEEN ${MIN_MS} AND ${MAX_MS} THEN TRY_CAST(${v} AS BIGINT) END`;
      return { value: ms, ok: `(${ms}) BETWEEN ${MIN_MS} AND ${MAX_MS}` };
    }
    return { value: "NULL", ok: "false" };
  }

  /** toNumber of a weight, for the values whose String() SQL prints alike: whole numbers below 2^53. */
  private weight(c: { sql: string; type: string } | undefined) {
    if (c === undefined) return { value: "NULL", text: "NULL", ok: "true" };
    const v = c.sql;
    if (INTEGER_TYPES.has(c.type) || FLOAT_TYPES.has(c.type)) {
      const whole = FLOAT_TYPES.has(c.type) ? `isfinite(${v}) AND ${v} = trunc(${v}) AND ` : "";
      return {
        value: `${v}::DOUBLE`,
        text: `TRY_CAST(${v} AS BIGINT)::VARCHAR`,
        ok: `(${v} IS NULL OR (${whole}${v} BETWEEN ${-MAX_SAFE} AND ${MAX_SAFE}))`,
      };
    }
    return {
      value: "NULL",
      text: "NULL",
      ok: c.type === "VARCHAR" ? `(${v} IS NULL OR ${v} = '')` : `${v} IS NULL`,
    };
  }

  private endReason(c: { sql: string; type: string } | undefined): FieldSql {
    if (c === undefined) return absent;
    const v = c.sql;
    if (c.type !== "VARCHAR") return { value: "NULL", ok: `${v} IS NULL` };
    const list = endReasons.map(sqlString).join(", ");
    return {
      value: `CASE WHEN ${v} = '' THEN NULL ELSE ${v} END`,
      ok: `(${v} IS NULL OR ${v} = '' OR ${v} IN (${list}))`,
    };
  }

  private requestText(c: { sql: string; type: string } | undefined): FieldSql {
    if (c === undefined) return absent;
    const v = c.sql;
    if (c.type !== "VARCHAR") return { value: "NULL", ok: `${v} IS NULL` };
    // playEventSchema: at most 2,000 UTF-16 units, never more than the UTF-8 bytes.
    return {
      value: `CASE WHEN ${v} = '' THEN NULL ELSE ${v} END`,
      ok: `(${v} IS NULL OR strlen(${v}) <= 2000)`,
    };
  }

  judge(rows: { line: number; values: unknown[] }[]): LineVerdict[] {
    return rows.map(({ line, values }) => {
      const r = convert(values as unknown as Row, this.keys, this.ctx, 0);
      if (r instanceof Bad) {
        const obj: Record<string, unknown> = {};
        this.columnList.forEach((c, i) => {
          obj[c.name] = values[i];
        });
        return { bad: { field: r.field, reason: r.reason + parquetRowSuffix(line) }, raw: rawJson(obj) };
      }
      // A play with an event id dedupes by that id alone (the store's appendPlays): left to that path.
      if (r.eventId !== undefined) return "irregular";
      return { event: r };
    });
  }
}

/**
 * toInt(v, field, positive, max) of an integer-valued column (required: a missing value is not vouched for;
 * optional: absent). Integer columns, finite whole doubles (-0 included: toInt takes it as 0) and digit strings.
 */
function wholeMs(
  c: { sql: string; type: string } | undefined,
  min: number,
  max: number,
  required: boolean,
): FieldSql {
  if (c === undefined) return required ? { value: "NULL", ok: "false" } : absent;
  const v = c.sql;
  const orAbsent = (ok: string) => (required ? ok : `(${v} IS NULL OR ${ok})`);
  if (INTEGER_TYPES.has(c.type)) {
    const ok = `${v} BETWEEN ${min} AND ${max}`;
    return { value: `CASE WHEN ${ok} THEN TRY_CAST(${v} AS BIGINT) END`, ok: orAbsent(ok) };
  }
  if (FLOAT_TYPES.has(c.type)) {
    const ok = `(isfinite(${v}) AND ${v} = trunc(${v}) AND ${v} BETWEEN ${min} AND ${max})`;
    return { value: `CASE WHEN ${ok} THEN TRY_CAST(${v} AS BIGINT) END`, ok: orAbsent(ok) };
  }
  if (c.type === "VARCHAR") {
    if (required) return { value: playedMsSql(v), ok: `${playedMsSql(v)} >= ${min}` };
    const digits = `regexp_full_match(${v}, '[0-9]{1,15}')`;
    const n = `TRY_CAST(${v} AS BIGINT)`;
    return {
      value: `CASE WHEN ${digits} THEN ${n} END`,
      ok: `(${v} IS NULL OR ${v} = '' OR (${digits} AND ${n} BETWEEN ${min} AND ${max}))`,
    };
  }
  return { value: "NULL", ok: required ? "false" : `${v} IS NULL` };
}
