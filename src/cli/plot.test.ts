import { describe, expect, it } from "vitest";
import type { AblationRow } from "../core/evaluation/ablation.js";
import { ablationSvg } from "./plot.js";

const row = (weighting: AblationRow["weighting"], positivesOnly: boolean, spearman: number): AblationRow => ({
  weighting,
  positivesOnly,
  seeds: 3,
  spearman,
  spearmanPerUser: spearman,
  pearson: spearman,
  kendall: spearman,
  auc: 0.6,
  "ndcg@10": null,
  "recall@10": null,
  "map@10": null,
  coverage: null,
  scored: 10,
  spearmanMin: spearman - 0.01,
  spearmanMax: spearman + 0.01,
  spearmanNew: 0,
});

describe("ablationSvg", () => {
  it("draws one labelled bar per variant, negative ones below the axis", () => {
    const svg = ablationSvg(
      [row("none", true, -0.03), row("linear", false, 0.22), row("convex", false, 0.23)],
      "A & B",
    );
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg.match(/<rect x=/g)).toHaveLength(3);
    expect(svg).toContain(">P only<");
    expect(svg).toContain(">0.230<");
    expect(svg).toContain("A &amp; B");
    const heights = [...svg.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"/g)].map(
      (m) => Number(m[2]),
    );
    expect(heights[2]).toBeGreaterThan(heights[1]);
  });
});
