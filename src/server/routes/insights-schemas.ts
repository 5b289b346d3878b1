import { z } from "zod";
import { jobSchema } from "./training-schemas.js";

const nullableNumber = z.number().nullable();

export const overviewResponseSchema = z.object({
  store: z.object({
    plays: z.number(),
    requests: z.number(),
    users: z.number().describe("distinct users with a play or a request"),
    playedItems: z.number(),
    catalogueItems: z.number(),
    firstPlayMs: nullableNumber,
    lastPlayMs: nullableNumber,
    perDay: z
      .array(z.object({ day: z.string(), plays: z.number(), requests: z.number() }))
      .describe("events per UTC day, by kind"),
    ingest: z
      .object({ runs: z.number(), accepted: z.number(), rejected: z.number(), duplicates: z.number() })
      .describe("totals over the recorded ingest runs: files, and HTTP batches of plays or requests"),
    topUsers: z.array(z.object({ user: z.string(), plays: z.number() })),
  }),
  model: z
    .object({
      version: z.string(),
      createdAt: z.string(),
      config: z.unknown(),
      dataWindow: z.object({
        plays: z.number(),
        users: z.number(),
        items: z.number(),
        from: z.string().nullable(),
        to: z.string().nullable(),
      }),
      metrics: z.unknown(),
      factors: z.number(),
      rule: z.object({
        thresholdMs: z.number(),
        capMs: z.number(),
        weighting: z.string(),
        floor: z.number(),
        relativeThreshold: z.number().optional(),
      }),
      topN: z
        .object({
          name: z.string(),
          validation: z.object({
            share: z.number(),
            cut: z.enum(["latest", "random-pairs"]).optional(),
            users: z.number(),
            best: z.array(
              z.object({
                recommender: z.string(),
                param: z.number().nullable(),
                popularityWeight: z.number(),
                "ndcg@10": z.number(),
                "recall@10": z.number(),
                seconds: z.number(),
              }),
            ),
            skipped: z.array(z.object({ recommender: z.string(), reason: z.string() })),
            guard: z
              .object({
                baseline: z.string(),
                challenger: z.string(),
                meanGain: z.number(),
                standardError: z.number(),
                switched: z.boolean(),
              })
              .nullable()
              .describe("whether the best beat the baseline recommender clearly enough to be served"),
          }),
          recommender: z.string().describe("the recommender served"),
        })
        .nullable()
        .describe("the top-N model recommend serves and each recommender's best validation figures"),
      trainingCurve: z
        .array(
          z.object({
            phase: z.enum(["calibration", "final"]),
            epoch: z.number().int(),
            loss: z.number(),
            validationLoss: z.number().optional(),
          }),
        )
        .describe("sampled pairwise loss after each epoch (empty for versions trained before it was kept)"),
    })
    .nullable()
    .describe("the serving model; null before the first training"),
  models: z.array(z.object({ version: z.string(), createdAt: z.string(), isCurrent: z.boolean() })),
  evaluations: z.number().int().describe("evaluation records kept (GET /v1/evaluations)"),
  weighting: z
    .array(z.object({ name: z.string(), x: z.number(), weight: z.number() }))
    .describe("each weighting function g(x) sampled on [0, 1]"),
  job: jobSchema.nullable().describe("the training job queued or running, with its progress"),
});

export const historyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(50).describe("most plays, newest first"),
  })
  .strict();

export const historyResponseSchema = z.object({
  user: z.string(),
  plays: z.array(
    z.object({
      item: z.string(),
      title: z.string(),
      creators: z.array(z.string()),
      endTime: z.string(),
      playedMs: z.number(),
      itemLengthMs: nullableNumber,
      completion: nullableNumber.describe("share of the item played; null when its length is unknown"),
      skip: z.boolean().describe("shorter than the serving model's threshold"),
      endReason: z.string().nullable(),
      deviceType: z.string().nullable(),
      requestText: z.string().nullable(),
    }),
  ),
});

export const itemMapQuery = z
  .object({
    limit: z.coerce.number().int().min(2).max(20_000).default(1500).describe("the most played items"),
  })
  .strict();

export const itemMapResponseSchema = z.object({
  model: z.string(),
  explained: z.tuple([z.number(), z.number()]).describe("share of the factor variance each axis keeps"),
  points: z.array(
    z.object({
      item: z.string(),
      title: z.string(),
      creators: z.array(z.string()),
      kind: z.string(),
      tag: z.string().nullable().describe("the item's first tag"),
      x: z.number(),
      y: z.number(),
      popularity: z.number().describe("long plays in training"),
    }),
  ),
});

export const evaluationsQuery = z
  .object({
    kind: z
      .string()
      .min(1)
      .max(50)
      .optional()
      .describe("affinity, ablation, resolution, rewrites or context"),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const evaluationsResponseSchema = z.object({
  evaluations: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      createdAt: z.string(),
      command: z.string().describe("the command that produced it"),
      report: z.unknown(),
    }),
  ),
});

export const dailyRequestsResponseSchema = z.object({
  days: z.array(
    z.object({ day: z.string(), turns: z.number(), defective: z.number(), defectRate: z.number() }),
  ),
  reasons: z
    .record(z.string(), z.number())
    .describe("defect signals over all turns (a turn may have several)"),
});

const breakdownGroup = z.record(
  z.string(),
  z.object({ turns: z.number(), failureRate: z.number(), stages: z.record(z.string(), z.number()) }),
);

export const failuresResponseSchema = z.object({
  turns: z.number(),
  failures: z.number(),
  byStage: z.record(z.string(), z.number()),
  byIntent: breakdownGroup,
  byDevice: breakdownGroup,
  worstStage: z.string().nullable(),
  classifier: z.enum(["given", "simulated", "none"]).describe("none: the store holds no request events"),
  labelled: z.record(z.string(), z.number()),
});
