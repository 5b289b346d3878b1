import type { FastifySchemaCompiler } from "fastify";
import { z } from "zod";
import { type PlayEvent, playEventSchema } from "../schema/events.js";
import type { AppendResult, EventStore } from "../store/event-store.js";
import { HttpError, jsonPath, RequestValidationError } from "./errors.js";
import type { Metrics } from "./metrics.js";
import { errorSchema } from "./schemas.js";

/** Parses with zod, keeping each issue's path as an array, so the error answer can give JSON paths. */
function zodResult(schema: z.ZodType, data: unknown) {
  const result = schema.safeParse(data);
  if (result.success) return { value: result.data };
  return { error: new RequestValidationError(result.error.issues) };
}

/** Zod validation of each route's own schema. */
export const zodValidator: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) =>
    // A request without a body reaches the validator as null: treat it as absent (POST /v1/train).
    zodResult(schema, httpPart === "body" && data === null ? undefined : data);

/** Checks only a batch's envelope; the rows are validated one by one in the handler (POST /v1/events, /v1/requests). */
export const envelopeValidator =
  (envelope: z.ZodType): FastifySchemaCompiler<z.ZodType> =>
  () =>
  (data) =>
    zodResult(envelope, data);

/** Validates the rows of a batch one by one: the valid ones, and a reject with a JSON path for each other. */
export function validateRows<T>(rows: unknown[], schema: z.ZodType<T>, field: string) {
  const valid: T[] = [];
  const rejects: RowReject[] = [];
  rows.forEach((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) valid.push(parsed.data);
    else rejects.push(rowReject(parsed.error.issues, field, index));
  });
  return { valid, rejects };
}

/**
 * The plays of a POST /v1/events batch, as validateRows(rows, playEventSchema, "events") answers them, at a
 * fraction of its cost (a 10k batch: the per-row parse was the largest JavaScript cost after the store's).
 * zod's compiled check of the schema (z.compile: generated code, the same rules; what it refuses goes to the
 * schema's own parser, so the reasons are the same) passes a row without building its copy, and the row is
 * kept as it came: playEventSchema has no defaults or transforms, so its output is its input. Except for a
 * context: the parser puts its keys in the schema's order, and the idempotence key hashes the context's
 * JSON, so a row with one is still parsed (the stored keys must not change).
 */
export function validatePlayRows(rows: unknown[], field = "events") {
  const valid: PlayEvent[] = [];
  const rejects: RowReject[] = [];
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index];
    if (playEventCheck.validate(row) && (row as PlayEvent).context === undefined) {
      valid.push(row as PlayEvent);
      continue;
    }
    const parsed = playEventSchema.safeParse(row);
    if (parsed.success) valid.push(parsed.data);
    else rejects.push(rowReject(parsed.error.issues, field, index));
  }
  return { valid, rejects };
}

const playEventCheck = z.compile(playEventSchema, { strict: true });

/** A rejected row of a batch, by its first issue's JSON path; the other issues' paths in the reason. */
export interface RowReject {
  index: number;
  path: string;
  reason: string;
}

function rowReject(issues: readonly z.core.$ZodIssue[], field: string, index: number): RowReject {
  const [first, ...more] = issues;
  return {
    index,
    path: jsonPath([field, index, ...first.path]),
    reason: more.length
      ? `${first.message} (and ${more.length} more: ${more.map((i) => jsonPath(i.path, `${field}[${index}]`)).join(", ")})`
      : first.message,
  };
}

/** The rows of a batch body, refused with 413 beyond maxBatch. */
export function batchRows(rows: unknown[], noun: string, maxBatch: number): unknown[] {
  if (rows.length > maxBatch) {
    throw new HttpError(
      413,
      "batch-too-large",
      `at most ${maxBatch} ${noun} per batch, got ${rows.length}: split the batch`,
    );
  }
  return rows;
}

/** The documented error answers of a route, one schema for every status. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [code, errorSchema])) as Record<number, typeof errorSchema>;

/**
 * Keeps an HTTP batch as an ingest run (source "http:<path>"), so rows rejected over HTTP count in the
 * overview's rejects exactly like rows rejected from a file, and counts its rows in the metrics
 * (tastebud_batch_rows_total). Call under the store lock.
 */
export async function recordHttpBatch(
  store: EventStore,
  metrics: Metrics,
  path: string,
  startedAt: Date,
  stored: Pick<AppendResult, "inserted" | "duplicates">,
  rejected: number,
): Promise<void> {
  await store.recordIngestRun({
    startedAt,
    finishedAt: new Date(),
    sources: [`http:${path}`],
    preset: "http",
    accepted: stored.inserted,
    rejected,
    duplicates: stored.duplicates,
  });
  metrics.batchRows(path, { accepted: stored.inserted, duplicates: stored.duplicates, rejected });
}
