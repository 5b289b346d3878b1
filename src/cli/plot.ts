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
