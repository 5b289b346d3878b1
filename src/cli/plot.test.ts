import { describe, expect, it } from "vitest";
import type { AblationRow } from "../core/evaluation/ablation.js";
import { ablationSvg, deniabilitySvg, lineChartSvg } from "./plot.js";

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

/** The points of each polyline, in drawing order, as [x, y] pixel pairs. */
const polylines = (svg: string) =>
  [...svg.matchAll(/<polyline[^>]* points="([^"]+)"/g)].map((m) =>
    m[1].split(" ").map((p) => p.split(",").map(Number)),
  );

describe("lineChartSvg", () => {
  it("places points by value: equal steps on a log axis are equal distances, higher y is higher up", () => {
    const svg = lineChartSvg(
      [
        {
          label: "a",
          points: [
            { x: 1, y: 0 },
            { x: 10, y: 0.5 },
            { x: 100, y: 1 },
          ],
        },
        {
          label: "b < c",
          points: [
            { x: 100, y: 0.2, lo: 0.1, hi: 0.3 },
            { x: 1, y: 0.1, lo: 0, hi: 0.2 },
          ],
        },
      ],
      { title: "t", xLabel: "x", yLabel: "y", logX: true, yDomain: [0, 1] },
    );
    const [a, b] = polylines(svg);
    expect(a[1][0] - a[0][0]).toBeCloseTo(a[2][0] - a[1][0], 1);
    expect(a[2][1]).toBeLessThan(a[1][1]);
    // Points are drawn in x order whatever order they came in; the band is one shaded polygon.
    expect(b[0][0]).toBeLessThan(b[1][0]);
    expect(svg.match(/<polygon/g)).toHaveLength(1);
    expect(svg).toContain("b &lt; c");
    for (const tick of [">1<", ">10<", ">100<", ">2<", ">50<"]) expect(svg).toContain(tick);
    expect(() =>
      lineChartSvg([{ label: "z", points: [{ x: 0, y: 1 }] }], {
        title: "",
        xLabel: "",
        yLabel: "",
        logX: true,
      }),
    ).toThrow(/positive/);
  });

  it("draws deniability rows as one banded line per mechanism", () => {
    const q = (median: number) => ({
      min: 0,
      p10: 0,
      p25: median - 0.1,
      median,
      p75: median + 0.1,
      p90: 1,
      max: 1,
      mean: median,
    });
    const row = (mechanism: "laplace" | "gumbel", epsilon: number, median: number) => ({
      mechanism,
      epsilon,
      words: 10,
      draws: 10,
      unchanged: q(median),
      distinct: q(2),
    });
    const svg = deniabilitySvg(
      [row("laplace", 2, 0.2), row("laplace", 20, 0.9), row("gumbel", 200, 0.3), row("gumbel", 800, 0.6)],
      "N_w",
    );
    expect(svg).toContain(">multivariate Laplace<");
    expect(svg).toContain(">truncated Gumbel<");
    expect(polylines(svg)).toHaveLength(2);
    expect(svg.match(/<polygon/g)).toHaveLength(2);
    expect(svg.match(/<circle/g)).toHaveLength(4);
  });
});
