import { z } from "zod";

// ---- this replica: store, bus, model swaps (GET /v1/serving)

const isoTime = z.string().describe("ISO 8601, UTC");

export const swapSchema = z.object({
  version: z.string(),
  previous: z.string().nullable().describe("the version it replaced; null for the first this process served"),
  cause: z
    .enum(["trained-here", "registry"])
    .describe("trained by this process, or read as the registry's current version (at start or announced)"),
  requestedAt: isoTime.describe("when the swap was asked for"),
  startedAt: isoTime.describe("when its work began (later when it queued behind another swap)"),
  servingAt: isoTime.describe("when the new version began answering"),
  waitMs: z.number().describe("queued behind an earlier swap"),
  readMs: z.number().describe("the reading thread's read of the version's files and catalogue"),
  totalMs: z.number().describe("from the request to the first answer from the new version"),
});

export const servingReportSchema = z.object({
  store: z.object({
    kind: z.enum(["duckdb", "postgres"]),
    location: z
      .string()
      .describe("a PostgreSQL URL without user or password, or the DuckDB file's name (:memory: in memory)"),
  }),
  bus: z
    .object({
      location: z.string().describe("nats://host:port/STREAM, without credentials"),
      stream: z.string(),
      state: z.enum(["connected", "reconnecting", "closed"]),
      published: z.number().int().describe("messages this replica published"),
      publishFailures: z.number().int().describe("messages it could not publish (the store kept the events)"),
      applied: z.number().int().describe("messages applied here"),
      lastAppliedAt: isoTime.nullable(),
      applyDelayP99Ms: z
        .number()
        .nullable()
        .describe(
          "99th percentile of the delay from the bus storing another replica's message to applying it here",
        ),
      applyDelaysMeasured: z
        .number()
        .int()
        .describe("delays that percentile is over (the latest up to 1,000)"),
    })
    .nullable()
    .describe("null: no bus, this process serves alone"),
  model: z
    .object({
      version: z.string(),
      createdAt: isoTime.describe("when the trainer made it"),
      loadedAt: isoTime.nullable().describe("when this process began serving it"),
    })
    .nullable()
    .describe("the version answering here; null before the first training"),
  registryCurrent: z
    .string()
    .nullable()
    .describe("the registry's current version: differs from model.version while this replica is behind"),
  swapInProgress: z.boolean().describe("a new version is being read while the current one answers"),
  swaps: z.array(swapSchema).describe("the latest swaps of this process (up to 20), newest first"),
  registry: z
    .array(
      z.object({
        version: z.string(),
        createdAt: isoTime,
        isCurrent: z.boolean().describe("the registry's current version"),
        serving: z.boolean().describe("the version this replica answers with"),
      }),
    )
    .describe("the registry's versions, newest first (at most 50)"),
  registryVersions: z.number().int().describe("versions in the registry"),
  foldIn: z.object({
    enabled: z.boolean().describe("accepted plays are folded into their users at once (serve --fold-in)"),
    users: z.number().int().describe("users the serving version holds folded in"),
    maxUsers: z.number().int().describe("the most it keeps (the least recently used go first)"),
  }),
  eventLoop: z
    .object({
      maxSeconds: z.number(),
      p99Seconds: z.number(),
      windowStartedAt: isoTime.describe("the previous /metrics scrape, or the server's start"),
    })
    .describe(
      "the serving thread's event-loop delay in the window /metrics reports next (read without closing it)",
    ),
});
