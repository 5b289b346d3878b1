/**
 * The JavaScript row rules (values.ts, time.ts) as SQL expressions, for the bulk path that lets the database
 * parse and check large files (issue 14). These are "surely valid" checks in the sense of values.ts's
 * surelyValid: an expression is true only for values the JavaScript rules accept, and then yields exactly the
 * value they yield; whatever they cannot vouch for (odd whitespace, fractional unix times, year 0000, ...) is
 * handed back to the JavaScript validator, which stays the single source of truth for verdicts and reasons.
 * sql-rules.test.ts and the bulk conformance test compare the two.
 *
 * Every function takes SQL expressions (column names, usually) and returns SQL text for DuckDB.
 */
import { MAX_PLAYED_MS } from "./values.js";

/** A string literal in SQL. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The characters JavaScript's String.prototype.trim removes (WhiteSpace and LineTerminator), as an RE2 class
 * body: a name that holds only these is empty to nameOf.
 */
const JS_SPACE =
  "\\t\\n\\x0B\\f\\r \\x{00A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";

/** A name kept as given (spotify.ts nameOf): not empty and not only whitespace. */
export function nameOk(v: string): string {
  // Most names start with a printable ASCII character: ascii() reads one, the class is for the rest.
  return `(${v} IS NOT NULL AND (ascii(${v}) BETWEEN 33 AND 126 OR regexp_matches(${v}, '[^${JS_SPACE}]')))`;
}

/**
 * An id-like text (values.ts toText) that needs no trimming: its first and last characters are printable
 * ASCII (needsTrim's own test), and at most `max` UTF-16 units long (bytes of UTF-8 are never fewer).
 */
export function plainTextOk(v: string, max: number): string {
  return `(${v} IS NOT NULL AND ascii(${v}) BETWEEN 33 AND 126 AND ascii(right(${v}, 1)) BETWEEN 33 AND 126 AND strlen(${v}) <= ${max})`;
}

/**
 * String.prototype.trim of a text: the JS_SPACE characters removed from both ends (RE2's ^ and $ match at the
 * text's ends only). The costly regex runs only for texts whose ends are not printable ASCII (needsTrim's
 * own test).
 */
export function jsTrimSql(v: string): string {
  return `(CASE WHEN ascii(${v}) BETWEEN 33 AND 126 AND ascii(right(${v}, 1)) BETWEEN 33 AND 126 THEN ${v}
    ELSE regexp_replace(${v}, '^[${JS_SPACE}]+|[${JS_SPACE}]+$', '', 'g') END)`;
}

/** songId(artist, track): `\` and `|` escaped with `\`, joined by `|`. */
export function songIdSql(artist: string, track: string): string {
  const esc = (v: string) =>
    `(CASE WHEN strpos(${v}, '\\') = 0 AND strpos(${v}, '|') = 0 THEN ${v} ELSE replace(replace(${v}, '\\', '\\\\'), '|', '\\|') END)`;
  return `(${esc(artist)} || '|' || ${esc(track)})`;
}

/** toInt(v, field, false, MAX_PLAYED_MS) for the digit strings it reads without a regex; else NULL. */
export function playedMsSql(v: string): string {
  return `(CASE WHEN regexp_full_match(${v}, '[0-9]{1,15}') AND ${v}::BIGINT <= ${MAX_PLAYED_MS} THEN ${v}::BIGINT END)`;
}

/** time.ts's date-time grammar, once the text is trimmed (the SQL side accepts only untrimmed-clean text). */
const TIME_RE =
  "([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)? *(?:[Zz]|([+-][0-9]{2})(?::?([0-9]{2}))?)?)?";
const MIN_MS = -62_167_219_200_000;
const MAX_MS = 253_402_300_799_999;

/**
 * The parts of a date-time text (time.ts's grammar) as a STRUCT (NULL fields when absent, y NULL when the text
 * does not match), NULL for the `YYYY-MM-DD HH:MM` form that timeMsSql reads without them: one regex pass, kept
 * in a column so that timeMsSql reads its fields cheaply.
 */
export function timePartsSql(v: string): string {
  return `CASE WHEN ${minuteShapeSql(v)} THEN NULL ELSE ${anyTimePartsSql(v)} END`;
}

/**
 * `YYYY-MM-DD HH:MM`, the Spotify CSV's form: a GLOB (several times cheaper than a regex) decides, and
 * timeMsSql reads it with DuckDB's own timestamp cast, without the parts.
 */
function minuteShapeSql(v: string): string {
  return `${v} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'`;
}

/**
 * The cast checks the month, the day of the month and the minutes as time.ts does; it also takes the hour 24
 * (the next day) and the year 0000, which time.ts refuses, so those are left to JavaScript.
 */
function minuteTimeMsSql(v: string): string {
  return `(CASE WHEN substr(${v}, 12, 2) < '24' AND NOT starts_with(${v}, '0000') THEN epoch_ms(TRY_CAST(${v} AS TIMESTAMP)) END)`;
}

function anyTimePartsSql(v: string): string {
  // The common forms (Spotify's "YYYY-MM-DD HH:MM", ISO to the second or millisecond, UTC) by position: a regex without
  // captures runs as a DFA, several times faster than one that extracts nine groups.
  const at = (from: number, n: number) => `substr(${v}, ${from}, ${n})::BIGINT`;
  // Milliseconds too (toISOString's own form): three digits after the seconds.
  const fast = `{'y': ${at(1, 4)}, 'mo': ${at(6, 2)}, 'd': ${at(9, 2)}, 'h': ${at(12, 2)}, 'mi': ${at(15, 2)},
    's': CASE WHEN substr(${v}, 17, 1) = ':' THEN ${at(18, 2)} END,
    'f': CASE WHEN substr(${v}, 20, 1) IN ('.', ',') THEN substr(${v}, 21, 3) END, 'oh': NULL::VARCHAR, 'om': NULL::BIGINT}`;
  return `CASE WHEN regexp_full_match(${v}, '[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{3})?)?[Zz]?') THEN ${fast}
    ELSE TRY_CAST(regexp_extract(${v}, '^${TIME_RE}$', ['y', 'mo', 'd', 'h', 'mi', 's', 'f', 'oh', 'om'])
    AS STRUCT(y BIGINT, mo BIGINT, d BIGINT, h BIGINT, mi BIGINT, s BIGINT, f VARCHAR, oh VARCHAR, om BIGINT)) END`;
}

/**
 * parseTime(v) as epoch milliseconds (eventTimeMs of the ISO text parseTime returns), for the forms it reads
 * from text: the ISO and `YYYY-MM-DD HH:MM[:SS]` forms (years 0001-9999) and whole unix seconds or
 * milliseconds. NULL for anything else, including forms JavaScript accepts that this does not vouch for.
 * `parts` is a column holding timePartsSql(v). Days are counted with the days-from-civil arithmetic
 * (integers only, so no time zone or calendar library can differ from Date.UTC).
 */
export function timeMsSql(v: string, parts: string): string {
  return `(CASE WHEN ${minuteShapeSql(v)} THEN ${minuteTimeMsSql(v)} ELSE ${partsTimeMsSql(v, parts)} END)`;
}

function partsTimeMsSql(v: string, parts: string): string {
  const int = (k: string) => `${parts}.${k}`;
  const y = int("y");
  const mo = int("mo");
  const d = int("d");
  const h = `coalesce(${int("h")}, 0)`;
  const mi = `coalesce(${int("mi")}, 0)`;
  const s = `coalesce(${int("s")}, 0)`;
  const ms = `coalesce(TRY_CAST(rpad(left(${parts}.f, 3), 3, '0') AS BIGINT), 0)`;
  // The offset's hours carry its sign (one regex group: DuckDB's regexp_extract takes groups 0-9 only).
  const sign = `left(${parts}.oh, 1)`;
  const oh = `coalesce(abs(TRY_CAST(${parts}.oh AS BIGINT)), 0)`;
  const om = `coalesce(${int("om")}, 0)`;
  const leap = `((${y} % 4 = 0 AND ${y} % 100 <> 0) OR ${y} % 400 = 0)`;
  const dim = `(CASE WHEN ${mo} = 2 THEN (CASE WHEN ${leap} THEN 29 ELSE 28 END) WHEN ${mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END)`;
  // days_from_civil (Howard Hinnant's algorithm) for years >= 1, where every quotient is of a non-negative number.
  const yy = `(${y} - (CASE WHEN ${mo} <= 2 THEN 1 ELSE 0 END))`;
  const era = `(${yy} // 400)`;
  const yoe = `(${yy} - ${era} * 400)`;
  const doy = `((153 * (${mo} + (CASE WHEN ${mo} > 2 THEN -3 ELSE 9 END)) + 2) // 5 + ${d} - 1)`;
  const doe = `(${yoe} * 365 + ${yoe} // 4 - ${yoe} // 100 + ${doy})`;
  const days = `(${era} * 146097 + ${doe} - 719468)`;
  const offset = `(CASE ${sign} WHEN '-' THEN -1 ELSE 1 END) * (${oh} * 60 + ${om})`;
  const epoch = `(${days} * 86400000 + ${h} * 3600000 + ${mi} * 60000 + ${s} * 1000 + ${ms} - (${offset}) * 60000)`;
  const textOk = `(${y} IS NOT NULL AND ${y} >= 1 AND ${mo} BETWEEN 1 AND 12 AND ${d} BETWEEN 1 AND ${dim} AND ${h} <= 23 AND ${mi} <= 59 AND ${s} <= 59 AND ${oh} <= 23 AND ${om} <= 59)`;
  // Unix time: seconds below 1e11, else milliseconds (time.ts fromEpoch); whole numbers only here.
  const n = `TRY_CAST(${v} AS BIGINT)`;
  const unix = `(CASE WHEN abs(${n}) < 100000000000 THEN ${n} * 1000 ELSE ${n} END)`;
  const unixOk = `regexp_full_match(${v}, '[+-]?[0-9]{1,15}')`;
  return `(CASE WHEN ${v} IS NULL THEN NULL
    WHEN ${textOk} AND ${epoch} BETWEEN ${MIN_MS} AND ${MAX_MS} THEN ${epoch}
    WHEN ${y} IS NULL AND ${unixOk} AND ${unix} BETWEEN ${MIN_MS} AND ${MAX_MS} THEN ${unix} END)`;
}

/**
 * CSV lines as csv-parse reads them, for the lines it reads the same way: no quote at all (fields split at
 * the delimiter), or every field either unquoted without quotes or wholly quoted with doubled inner quotes.
 * `quotedFieldsSql` is the list of fields of a line with a quote (NULL when it is not of that form: a quote
 * inside an unquoted field, text after a closing quote, an unclosed quote that may continue on the next
 * line; the JavaScript reader decides those); `fieldListSql` is the list of fields of either kind.
 */
function reDelimiter(delimiter: string): string {
  return delimiter === "\t" ? "\\t" : delimiter.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
}

export function quotedFieldsSql(line: string, delimiter: string): string {
  const d = reDelimiter(delimiter);
  const field = `"(?:[^"]|"")*"|[^${d}"]*`;
  const lineRe = `(?:${field})(?:${d}(?:${field}))*`;
  return `(CASE WHEN strpos(${line}, '"') > 0 AND regexp_full_match(${line}, ${sqlString(lineRe)}) THEN list_transform(regexp_extract_all(${line}, ${sqlString(`(?:^|${d})(${field})`)}, 1), x -> CASE WHEN starts_with(x, '"') THEN replace(x[2:-2], '""', '"') ELSE x END) END)`;
}

/**
 * The fields of a line as a list: field k is list[k] (1-based), their count len(list). Split once: five
 * split_part calls, each scanning from the line's start, and a count by replace cost 2.2 CPU s on 2 M lines,
 * one string_split 0.5. Past the last field the list gives NULL where split_part gave '': only rows whose
 * field count is refused read there.
 */
export function fieldListSql(line: string, quoted: string, delimiter: string): string {
  return `(CASE WHEN ${quoted} IS NULL THEN string_split(${line}, ${sqlString(delimiter)}) ELSE ${quoted} END)`;
}
