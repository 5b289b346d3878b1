import type { FastifySchemaCompiler } from "fastify";
import type { z } from "zod";
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
  const rejects: Array<{ index: number; path: string; reason: string }> = [];
  rows.forEach((row, index) => {
    const parsed = schema.safeParse(row);
    if (parsed.success) {
      valid.push(parsed.data);
      return;
    }
    const [first, ...more] = parsed.error.issues;
    rejects.push({
      index,
      path: jsonPath([field, index, ...first.path]),
      reason: more.length
        ? `${first.message} (and ${more.length} more: ${more.map((i) => jsonPath(i.path, `${field}[${index}]`)).join(", ")})`
        : first.message,
    });
  });
  return { valid, rejects };
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
