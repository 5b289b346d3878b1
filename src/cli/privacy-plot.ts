import type { DeniabilitySummary } from "../core/privacy/deniability.js";

/**
 * Plausible deniability against ε as an SVG: median N_w (share of draws that keep the word) with its
 * 25–75% band per mechanism, on a log ε axis, since the two mechanisms' admissible ε lie decades apart.
 */
export function deniabilitySvg(rows: DeniabilitySummary[], title: string): string {
  const width = 640;
  const height = 360;
  const left = 60;
  const right = 150;
  const top = 40;
  const bottom = 50;
  const eps = rows.map((r) => r.epsilon);
  const lo = Math.log10(Math.min(...eps)) - 0.05;
  const hi = Math.log10(Math.max(...eps)) + 0.05;
  const x = (e: number) => left + ((Math.log10(e) - lo) / (hi - lo || 1)) * (width - left - right);
  const y = (p: number) => top + (1 - p) * (height - top - bottom);
  const colours: Record<string, string> = { laplace: "#1f77b4", gumbel: "#d62728" };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14">${escapeXml(title)}</text>`,
  ];
  for (const p of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(p)}" y2="${y(p)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 8}" y="${y(p) + 4}" text-anchor="end">${p}</text>`);
  }
  for (let d = Math.ceil(lo); d <= Math.floor(hi); d++)
    for (const m of [1, 2, 5]) {
      const e = m * 10 ** d;
      if (Math.log10(e) < lo || Math.log10(e) > hi) continue;
      parts.push(`<line x1="${x(e)}" x2="${x(e)}" y1="${y(0)}" y2="${y(0) + 5}" stroke="#333"/>`);
      parts.push(`<text x="${x(e)}" y="${y(0) + 18}" text-anchor="middle">${e}</text>`);
    }
  parts.push(
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">ε (log scale)</text>`,
  );
  parts.push(
    `<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">N_w: share of draws keeping the word</text>`,
  );
  let legend = 0;
  for (const mechanism of ["laplace", "gumbel"]) {
    const own = rows.filter((r) => r.mechanism === mechanism).sort((a, b) => a.epsilon - b.epsilon);
    if (own.length === 0) continue;
    const colour = colours[mechanism];
    const band = [
      ...own.map((r) => `${x(r.epsilon)},${y(r.unchanged.p75)}`),
      ...own.reverse().map((r) => `${x(r.epsilon)},${y(r.unchanged.p25)}`),
    ];
    own.reverse();
    parts.push(`<polygon points="${band.join(" ")}" fill="${colour}" fill-opacity="0.15"/>`);
    parts.push(
      `<polyline points="${own.map((r) => `${x(r.epsilon)},${y(r.unchanged.median)}`).join(" ")}" fill="none" stroke="${colour}" stroke-width="2"/>`,
    );
    for (const r of own)
      parts.push(`<circle cx="${x(r.epsilon)}" cy="${y(r.unchanged.median)}" r="3" fill="${colour}"/>`);
    const ly = top + 10 + legend * 20;
    parts.push(
      `<line x1="${width - right + 15}" x2="${width - right + 35}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(
      `<text x="${width - right + 40}" y="${ly + 4}">${mechanism === "laplace" ? "multivariate Laplace" : "truncated Gumbel"}</text>`,
    );
    legend++;
  }
  parts.push(
    `<text x="${width - right + 15}" y="${top + 10 + legend * 20 + 4}" fill="#555">line: median, band: 25–75%</text>`,
  );
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
