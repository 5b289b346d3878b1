import { describe, expect, it } from "vitest";
import type { AblationRow } from "../core/evaluation/ablation.js";
import { formatAblation } from "./format.js";

function row(weighting: AblationRow["weighting"], spearman: number, min: number, max: number): AblationRow {
  return {
    weighting,
    positivesOnly: false,
    seeds: 3,
    spearman,
    spearmanMin: min,
    spearmanMax: max,
    spearmanNew: 0,
  } as AblationRow;
}

describe("formatAblation", () => {
  it("names the best weighting, and the ones its seed range does not separate from it as ties", () => {
    const tied = formatAblation([
      row("linear", 0.114, 0.112, 0.121),
      row("concave", 0.115, 0.112, 0.12),
      row("convex", 0.053, 0.046, 0.059),
    ]);
    expect(tied).toMatch(
      /best weighting by pooled Spearman: concave, tied with linear \(their seed ranges overlap\)$/,
    );
    const clear = formatAblation([row("linear", 0.223, 0.222, 0.224), row("convex", 0.232, 0.231, 0.233)]);
    expect(clear).toMatch(/best weighting by pooled Spearman: convex$/);
  });
});
