import * as Plot from "@observablehq/plot";
import { html } from "htm/preact";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

export { html };

/** The state of one API call: loading, its answer, or its error (shown, never swallowed). */
export type Async<T> = { loading: true } | { loading: false; data: T } | { loading: false; error: Error };

/** Runs `load` when `deps` change and keeps its state; a later call wins over an earlier slow one. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): [Async<T>, () => void] {
  const [state, setState] = useState<Async<T>>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ loading: true });
    load().then(
      (data) => live && setState({ loading: false, data }),
      (error: Error) => live && setState({ loading: false, error }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return [state, () => setTick((t) => t + 1)];
}

/** Renders an async value: a loading line, an error box, or `body(data)`. */
export function Show<T>({ value, body }: { value: Async<T>; body: (data: T) => ComponentChildren }) {
  if (value.loading) return html`<p class="loading" role="status">Loading…</p>`;
  if ("error" in value) return html`<p class="error" role="alert">${value.error.message}</p>`;
  return html`${body(value.data)}`;
}

export function Stat({ label, value, id }: { label: string; value: string | number; id?: string }) {
  const shown = typeof value === "number" ? value.toLocaleString("en-US") : value;
  return html`<div class="stat"><div class="stat-value" data-stat=${id ?? label}>${shown}</div><div class="stat-label">${label}</div></div>`;
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  numeric?: boolean;
}

export function Table<T>({
  rows,
  columns,
  caption,
  empty,
}: {
  rows: T[];
  columns: Column<T>[];
  caption: string;
  empty?: string;
}) {
  if (rows.length === 0) return html`<p class="muted">${empty ?? "Nothing yet."}</p>`;
  return html`<table>
    <caption>${caption}</caption>
    <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.numeric ? "num" : ""}>${c.label}</th>`)}</tr></thead>
    <tbody>
      ${rows.map((r) => html`<tr>${columns.map((c) => html`<td class=${c.numeric ? "num" : ""}>${c.cell(r)}</td>`)}</tr>`)}
    </tbody>
  </table>`;
}

/**
 * A chart drawn by `draw` (an Observable Plot figure, or any SVG element) inside a figure whose caption is the
 * text alternative; the plot itself is labelled for screen readers with the same words.
 */
export function Chart({
  draw,
  caption,
  deps,
}: {
  /** Draws the chart at the width its box has (so a chart in a narrow card keeps readable text). */
  draw: (width: number) => Element;
  caption: string;
  deps: unknown[];
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = draw(Math.max(280, Math.floor(el.clientWidth || 640)));
    chart.setAttribute("role", "img");
    chart.setAttribute("aria-label", caption);
    el.replaceChildren(chart);
    return () => chart.remove();
  }, deps);
  return html`<figure class="chart"><div ref=${box}></div><figcaption>${caption}</figcaption></figure>`;
}

/** A ranked list as horizontal bars (largest on top), one per row: top creators, similar creators, arms. */
export function Bars({
  rows,
  xLabel,
  colour,
  caption,
  domain,
}: {
  rows: Array<{ label: string; value: number }>;
  xLabel: string;
  colour: string;
  caption: string;
  domain?: [number, number];
}) {
  return html`<${Chart}
    deps=${[rows]}
    caption=${caption}
    draw=${(width: number) =>
      Plot.plot({
        width,
        height: 40 + 22 * rows.length,
        marginLeft: 140,
        x: { label: xLabel, grid: true, ...(domain ? { domain } : {}) },
        y: { label: null },
        marks: [
          Plot.barX(rows, { y: "label", x: "value", fill: colour, sort: { y: "-x" }, tip: true }),
          Plot.ruleX([0]),
        ],
      })}
  />`;
}

export const fixed = (x: number | null | undefined, digits = 3) =>
  x === null || x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits);
export const percent = (x: number | null | undefined) =>
  x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
export const day = (ms: number | null) => (ms === null ? "–" : new Date(ms).toISOString().slice(0, 10));
export const byLine = (creators: string[]) => (creators.length ? creators.join(", ") : "unknown");
