import type { AblationRow } from "../core/evaluation/ablation.js";
import type { DeniabilitySummary } from "../core/privacy/deniability.js";

/**
 * The CLI's `--plot` figures, as plain SVG so they open in any browser and render on GitHub with no
 * plotting dependency (the dashboard's Observable Plot needs a DOM, which a CLI does not have). Two shapes
 * cover every figure: bars with whiskers (ablationSvg) and lines over a numeric x axis, optionally
 * logarithmic and with a band per line (lineChartSvg, under the bandit regret, the deniability and the
 * privacy trade-off plots).
 */

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

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

export interface LinePoint {
  x: number;
  y: number;
  /** A band around the line (an interval, a quartile range), drawn shaded when both ends are given. */
  lo?: number;
  hi?: number;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (every x must be positive), ticks at 1, 2 and 5 times powers of ten. */
  logX?: boolean;
  /** Fixed y range (default: 0 or the lowest value, to the highest). */
  yDomain?: [number, number];
  /** Mark every point with a dot (for grids of a few values; long series read better without). */
  dots?: boolean;
}

/** Tick values for a linear axis: five evenly spaced. */
function linearTicks(lo: number, hi: number): number[] {
  return Array.from({ length: 5 }, (_, t) => lo + ((hi - lo) * t) / 4);
}

/** Ticks for a log axis: 1, 2, 5 × 10^k inside [lo, hi] (both in data units). */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let d = Math.floor(Math.log10(lo)); d <= Math.ceil(Math.log10(hi)); d++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** d;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  return out;
}

function tickLabel(v: number): string {
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? v.toFixed(2) : v.toFixed(1);
}

/**
 * Lines over a shared numeric x axis, each labelled at its right end (labels spread so that close lines
 * stay readable), with an optional shaded band per line.
 */
export function lineChartSvg(
  series: Array<{ label: string; points: LinePoint[] }>,
  options: LineChartOptions,
): string {
  const width = 760;
  const height = 420;
  const left = 70;
  const right = 190;
  const top = 50;
  const bottom = 360;
  const all = series.flatMap((s) => s.points);
  if (options.logX && all.some((p) => !(p.x > 0))) throw new Error("a log x axis needs positive x values");
  const fx = (v: number) => (options.logX ? Math.log10(v) : v);
  const xs = all.map((p) => fx(p.x));
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const pad = options.logX ? 0.05 : 0;
  const xLo = x0 - pad;
  const xHi = x1 + pad > xLo ? x1 + pad : xLo + 1;
  const ys = all.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]);
  const [yLo, yHi] = options.yDomain ?? [Math.min(0, ...ys), Math.max(1e-9, ...ys)];
  const x = (v: number) => left + ((fx(v) - xLo) / (xHi - xLo)) * (width - left - right);
  const y = (v: number) => bottom - ((v - yLo) / (yHi - yLo || 1)) * (bottom - top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${(width - right + left) / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  ];
  for (const v of linearTicks(yLo, yHi))
    parts.push(
      `<line x1="${left}" y1="${y(v)}" x2="${width - right}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${tickLabel(v)}</text>`,
    );
  parts.push(`<line x1="${left}" y1="${bottom}" x2="${width - right}" y2="${bottom}" stroke="#333"/>`);
  const xTicks = options.logX
    ? logTicks(10 ** xLo, 10 ** xHi)
    : [...new Set(linearTicks(x0, x1).map((v) => (x1 - x0 >= 4 ? Math.round(v) : v)))];
  for (const v of xTicks)
    parts.push(
      `<line x1="${x(v)}" y1="${bottom}" x2="${x(v)}" y2="${bottom + 5}" stroke="#333"/>`,
      `<text x="${x(v)}" y="${bottom + 18}" text-anchor="middle">${tickLabel(v)}</text>`,
    );
  const drawn = series.filter((s) => s.points.length > 0);
  const ends = drawn
    .map((s, k) => ({ k, end: y(s.points[s.points.length - 1].y) }))
    .sort((a, b) => a.end - b.end);
  let last = Number.NEGATIVE_INFINITY;
  const labelY = new Map<number, number>();
  for (const e of ends) {
    const at = Math.max(e.end, last + 14);
    labelY.set(e.k, at);
    last = at;
  }
  drawn.forEach((s, k) => {
    const color = palette[k % palette.length];
    const points = [...s.points].sort((a, b) => a.x - b.x);
    const banded = points.filter((p) => p.lo !== undefined && p.hi !== undefined);
    if (banded.length > 1) {
      const outline = [
        ...banded.map((p) => `${x(p.x).toFixed(1)},${y(p.hi as number).toFixed(1)}`),
        ...[...banded].reverse().map((p) => `${x(p.x).toFixed(1)},${y(p.lo as number).toFixed(1)}`),
      ];
      parts.push(`<polygon points="${outline.join(" ")}" fill="${color}" fill-opacity="0.15"/>`);
    }
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ")}"/>`,
    );
    if (options.dots)
      for (const p of points)
        parts.push(`<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(
      `<text x="${width - right + 6}" y="${(labelY.get(k) ?? 0) + 4}" fill="${color}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push(
    `<text x="18" y="${(top + bottom) / 2}" transform="rotate(-90 18 ${(top + bottom) / 2})" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    `<text x="${(width - right + left) / 2}" y="${bottom + 40}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

/** Cumulative regret per round, one line per policy (the bandit simulations). */
export function linesSvg(
  series: Array<{ label: string; values: number[] }>,
  options: { title: string; xLabel: string; yLabel: string },
): string {
  return lineChartSvg(
    series.map((s) => ({ label: s.label, points: s.values.map((v, i) => ({ x: i + 1, y: v })) })),
    options,
  );
}

const mechanismLabel = (m: string) =>
  m === "laplace" ? "multivariate Laplace" : m === "gumbel" ? "truncated Gumbel" : m;

/**
 * Plausible deniability against ε: median N_w (share of draws that keep the word) with its 25–75% band
 * per mechanism, on a log ε axis, since the two mechanisms' admissible ε lie decades apart.
 */
export function deniabilitySvg(rows: DeniabilitySummary[], title: string): string {
  const mechanisms = [...new Set(rows.map((r) => r.mechanism))];
  return lineChartSvg(
    mechanisms.map((m) => ({
      label: mechanismLabel(m),
      points: rows
        .filter((r) => r.mechanism === m)
        .map((r) => ({ x: r.epsilon, y: r.unchanged.median, lo: r.unchanged.p25, hi: r.unchanged.p75 })),
    })),
    {
      title,
      xLabel: "ε (log scale); line: median over words, band: 25–75%",
      yLabel: "N_w: share of draws keeping the word",
      logX: true,
      yDomain: [0, 1],
      dots: true,
    },
  );
}

/**
 * The utility/privacy trade-off of `privacy eval`: intent accuracy (mean over seeds, band min–max) against
 * median N_w (lower = more deniable), one line per mechanism, the unperturbed ceiling as a dot at N_w = 1.
 * Cells without a measured N_w (Laplace at Gumbel's ε, where it keeps nearly every word) are left out.
 */
export function tradeOffSvg(
  cells: ReadonlyArray<{
    mechanism: string;
    medianUnchanged: number | null;
    accuracy: { mean: number; min: number; max: number };
  }>,
  title: string,
): string {
  const mechanisms = [...new Set(cells.map((c) => c.mechanism))];
  return lineChartSvg(
    mechanisms.map((m) => ({
      label: m === "none" ? "unperturbed" : mechanismLabel(m),
      points: cells
        .filter((c) => c.mechanism === m && c.medianUnchanged !== null)
        .map((c) => ({
          x: c.medianUnchanged as number,
          y: c.accuracy.mean,
          lo: c.accuracy.min,
          hi: c.accuracy.max,
        })),
    })),
    {
      title,
      xLabel: "median N_w: share of draws keeping a word (lower = more deniable)",
      yLabel: "intent accuracy on perturbed test text",
      dots: true,
    },
  );
}
