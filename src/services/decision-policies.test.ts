import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResolvedCandidate } from "../core/serving/resolve.js";
import { resolveDecision } from "../core/serving/resolve-decision.js";
import { DECISION_FILE, DecisionPolicies } from "./decision-policies.js";

const candidate = (confidence: number) => ({ item: "a", confidence }) as ResolvedCandidate;

describe("resolve's fitted play-or-ask thresholds", () => {
  it("reads thresholds per P* and decides by the uncertainty bin", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-decision-"));
    expect(await new DecisionPolicies().load(dir)).toEqual({});
    writeFileSync(
      join(dir, DECISION_FILE),
      JSON.stringify({
        policies: { "0.9": { method: "mist", uncertaintyEdges: [null, 0.5], scoreThresholds: [0.6, null] } },
      }),
    );
    const policies = await new DecisionPolicies().load(dir);
    const p = policies["0.9"];
    expect(p.uncertaintyEdges).toEqual([Number.NEGATIVE_INFINITY, 0.5]);
    // Certain (u < 0.5): 0.7 >= 0.6 plays. Uncertain: never plays. Without thresholds: 0.7 < 0.9 asks.
    expect(resolveDecision([candidate(0.7)], 0.2, 0.9, p)).toBe("play");
    expect(resolveDecision([candidate(0.99)], 0.8, 0.9, p)).toBe("ask");
    expect(resolveDecision([candidate(0.7)], 0.2, 0.9)).toBe("ask");
    expect(resolveDecision([], 0, 0.9)).toBe("ask");
  });

  it("names the file when it is malformed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tastebud-decision-"));
    writeFileSync(
      join(dir, DECISION_FILE),
      JSON.stringify({ policies: { "0.9": { scoreThresholds: [1] } } }),
    );
    await expect(new DecisionPolicies().load(dir)).rejects.toThrow(/resolve-decision.json.*0.9/);
  });
});
