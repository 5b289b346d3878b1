/**
 * Rows in PostgreSQL's COPY text format (tab-separated, `\N` for null, backslash escapes). Hand-written
 * because it is five escapes and the hot loop of bulk ingest: a CSV writer would quote every field and
 * cost more than the database's side of the COPY.
 */
export type CopyValue = string | number | boolean | null | undefined;

const SPECIAL = /[\\\t\n\r]/;

export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "t" : "f";
  if (!SPECIAL.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** One line of COPY text for a row of values, newline included. */
export function copyLine(values: readonly CopyValue[]): string {
  let line = copyField(values[0]);
  for (let k = 1; k < values.length; k++) line += `\t${copyField(values[k])}`;
  return `${line}\n`;
}
