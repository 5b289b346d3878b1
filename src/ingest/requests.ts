import { type RequestEvent, requestEventSchema } from "../schema/events.js";
import { arraySuffix, BATCH, rejectRecord } from "./context.js";
import { type ByteCounter, fileError, lineBatches, listSourceFiles, notUtf8Reason } from "./files.js";
import { jsonRows, readJsonDocument } from "./generic.js";
import { Bad, rawJson, show, truncateRaw } from "./values.js";

/** A request event read from a file, or a rejected row (same shape as the play readers' rejects). */
export type RequestRecord =
  | { kind: "request"; event: RequestEvent; file: string; line: number }
  | { kind: "reject"; file: string; line: number; field: string; reason: string; raw: string };

/** The first schema issue of a row as a reject naming its field. */
function validate(value: unknown): RequestEvent | Bad {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return new Bad("row", `expected a JSON object, got ${show(value)}`);
  }
  const r = requestEventSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.join(".") : "row";
  let got: unknown = value;
  for (const key of issue.path) got = (got as Record<PropertyKey, unknown> | undefined)?.[key];
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return new Bad(field, `${message}, got ${show(got)}`);
}

async function* readJsonl(file: string, countBytes?: ByteCounter): AsyncGenerator<RequestRecord[]> {
  for await (const { lines, first, notUtf8 } of lineBatches(file, countBytes)) {
    const out: RequestRecord[] = [];
    const bytesBad = new Set(notUtf8);
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i].trim();
      if (text === "") continue;
      const line = first + i;
      if (bytesBad.has(i)) {
        out.push(rejectRecord(file, line, new Bad("row", notUtf8Reason), truncateRaw(text)) as RequestRecord);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        out.push(
          rejectRecord(
            file,
            line,
            new Bad("row", `not valid JSON: ${(err as Error).message}`),
            truncateRaw(text),
          ) as RequestRecord,
        );
        continue;
      }
      const r = validate(value);
      if (r instanceof Bad) out.push(rejectRecord(file, line, r, truncateRaw(text)) as RequestRecord);
      else out.push({ kind: "request", event: r, file, line });
    }
    if (out.length) yield out;
  }
}

async function* readJsonArray(file: string, countBytes?: ByteCounter): AsyncGenerator<RequestRecord[]> {
  const list = jsonRows(await readJsonDocument(file, countBytes), "requests");
  if (list === undefined)
    throw fileError(file, 'expected a JSON array of request events (or {"requests": [...]})');
  let out: RequestRecord[] = [];
  for (let i = 0; i < list.length; i++) {
    const line = i + 1;
    const r = validate(list[i]);
    if (r instanceof Bad)
      out.push(rejectRecord(file, line, r, rawJson(list[i]), arraySuffix(line)) as RequestRecord);
    else out.push({ kind: "request", event: r, file, line });
    if (out.length >= BATCH) {
      yield out;
      out = [];
    }
  }
  if (out.length) yield out;
}

/**
 * Reads request events (voice or text turns) from JSON lines or a JSON array, gzipped or not, validated by
 * requestEventSchema. Like the play readers, a bad row becomes a reject naming its line and field and
 * never costs the valid rows around it.
 */
export async function* readRequestSource(
  paths: string[],
  onBytesRead?: (file: string, bytes: number) => void,
): AsyncGenerator<RequestRecord[], void, undefined> {
  const files = await requestSourceFiles(paths);
  if (files.length === 0) throw fileError(paths.join(", "), "no request files found");
  for (const file of files) {
    const name = file.toLowerCase().replace(/\.gz$/, "");
    const count = onBytesRead ? (bytes: number) => onBytesRead(file, bytes) : undefined;
    if (name.endsWith(".json")) yield* readJsonArray(file, count);
    else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) yield* readJsonl(file, count);
    else throw fileError(file, "request events are read from .jsonl or .json files (optionally .gz)");
  }
}

/** The files readRequestSource reads for these paths (folders expanded), in its order. */
export function requestSourceFiles(paths: string[]): Promise<string[]> {
  return listSourceFiles(paths, { format: "jsonl" });
}
