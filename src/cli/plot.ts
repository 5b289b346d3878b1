import type { AblationRow } from "../core/evaluation/ablation.js";

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

/**
 * The weighting ablation as an SVG bar chart: median Spearman per variant with the seed range as a
 * whisker. Plain SVG so it opens in any browser and renders on GitHub, with no plotting dependency.
 */
export function ablationSvg(rows: AblationRow[], title: string): string {
  const width = 640;
  const height = 360;
  const left = 60;
  const bottom = 300;
  const top = 50;
  const values = rows.flatMap((r) => [r.spearmanMin, r.spearmanMax, r.spearman ?? 0]);
  const hi = Math.max(0.05, ...values);
  const lo = Math.min(0, ...values);
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const slot = (width - left - 20) / rows.length;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${width - 10}" y2="${y(0)}" stroke="#333"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    parts.push(
      `<line x1="${left - 4}" y1="${y(v)}" x2="${width - 10}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`,
    );
  }
  rows.forEach((r, k) => {
    const x = left + k * slot + slot * 0.2;
    const w = slot * 0.6;
    const v = r.spearman ?? 0;
    const color = r.positivesOnly ? "#999" : "#3b7dd8";
    parts.push(
      `<rect x="${x}" y="${Math.min(y(v), y(0))}" width="${w}" height="${Math.abs(y(v) - y(0))}" fill="${color}"/>`,
      `<line x1="${x + w / 2}" y1="${y(r.spearmanMin)}" x2="${x + w / 2}" y2="${y(r.spearmanMax)}" stroke="#111" stroke-width="2"/>`,
      `<text x="${x + w / 2}" y="${y(v) - 6}" text-anchor="middle">${v.toFixed(3)}</text>`,
      `<text x="${x + w / 2}" y="${bottom + 18}" text-anchor="middle">${r.positivesOnly ? "P only" : r.weighting}</text>`,
    );
  });
  parts.push(
    `<text x="16" y="${(top + bottom) / 2}" transform="rotate(-90 16 ${(top + bottom) / 2})" text-anchor="middle">Spearman, held-out plays</text>`,
    `<text x="${width / 2}" y="${bottom + 40}" text-anchor="middle">weighting (P+N unless marked); whisker = range over seeds</text>`,
    "</svg>",
  );
  return parts.join("\n");
}

const palette = ["#3b7dd8", "#d8513b", "#2a9d4b", "#8a4fc7", "#e09b1a", "#1aa3a8", "#666666", "#c73b8a"];

/**
 * Lines over a shared x axis (cumulative regret per round, one line per policy), each line's label at its
 * right end, for the bandit simulations.
 */
export function linesSvg(
  series: Array<{ label: string; values: number[] }>,
  options: { title: string; xLabel: string; yLabel: string },
): string {
  const width = 760;
  const height = 420;
  const left = 70;
  const right = 190;
  const top = 50;
  const bottom = 360;
  const n = Math.max(...series.map((s) => s.values.length), 2);
  const hi = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const x = (i: number) => left + (i / (n - 1)) * (width - left - right);
  const y = (v: number) => bottom - (v / hi) * (bottom - top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${(width - right + left) / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (hi * t) / 4;
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(1)}</text>`,
    );
  }
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${width - right}" y2="${bottom}" stroke="#333"/>`);
  for (let t = 0; t <= 4; t++) {
    const i = Math.round(((n - 1) * t) / 4);
    parts.push(`<text x="${x(i)}" y="${bottom + 18}" text-anchor="middle">${i + 1}</text>`);
  }
  const ends = series
    .map((s, k) => ({ k, end: y(s.values[s.values.length - 1] ?? 0) }))
    .sort((a, b) => a.end - b.end);
  // Spread the end labels so that close lines keep readable labels.
  let last = Number.NEGATIVE_INFINITY;
  const labelY = new Map<number, number>();
  for (const e of ends) {
    const at = Math.max(e.end, last + 14);
    labelY.set(e.k, at);
    last = at;
  }
  series.forEach((s, k) => {
    const color = palette[k % palette.length];
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`,
      `<text x="${width - right + 6}" y="${(labelY.get(k) ?? 0) + 4}" fill="${color}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push(
    `<text x="18" y="${(top + bottom) / 2}" transform="rotate(-90 18 ${(top + bottom) / 2})" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    `<text x="${(width - right + left) / 2}" y="${bottom + 40}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    "</svg>",
  );
  return parts.join("\n");
}
