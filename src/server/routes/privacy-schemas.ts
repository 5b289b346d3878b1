import { z } from "zod";
import { overBudgetPolicies } from "../../core/privacy/budget.js";
import { mechanismNames } from "../../core/privacy/mechanisms.js";
import { outOfVocabularyPolicies } from "../../core/privacy/text.js";

export const privacyQuery = z
  .object({ top: z.coerce.number().int().min(1).max(1000).default(50).describe("biggest spenders listed") })
  .strict();

export const privacyResponseSchema = z.object({
  mode: z
    .object({
      mechanism: z.enum(mechanismNames),
      epsilon: z.number().describe("ε per vocabulary word of stored text"),
      cap: z.number().nullable().describe("per-user cap on spent ε; null: no cap"),
      overBudget: z.enum(overBudgetPolicies),
      oov: z.enum(outOfVocabularyPolicies),
      table: z.object({ words: z.number().int(), dimensions: z.number().int() }),
    })
    .nullable()
    .describe("privacy mode as this server runs it; null when request text is stored as given"),
  ledger: z.object({
    users: z.number().describe("users charged"),
    total: z.number().describe("ε spent in all"),
    median: z.number(),
    max: z.number(),
    top: z.array(z.object({ user: z.string(), spent: z.number() })).describe("most spent first"),
  }),
});
