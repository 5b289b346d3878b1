import * as Plot from "@observablehq/plot";
import { api, type DeniabilityRow, type EvaluationRecord, type PrivacyReport } from "../api.js";
import { Chart, fixed, html, percent, Show, Stat, Table, useAsync } from "../ui.js";

type Measured = Extract<DeniabilityRow, { unchanged: unknown }>;
interface DeniabilityReport {
  table: { words: number; dimensions: number; deltaMin: number };
  setup: { words: number; draws: number; seed: number };
  rows: DeniabilityRow[];
}

const mechanismWords: Record<string, string> = {
  laplace: "multivariate Laplace",
  gumbel: "truncated Gumbel",
};

/** Privacy: the mode request text is stored under, what each user has spent, and how deniable a word is. */
export function PrivacyPage() {
  const [report] = useAsync(() => api.privacy(30), []);
  const [records] = useAsync(() => api.evaluations("deniability"), []);
  const [utility] = useAsync(() => api.evaluations("privacy-utility"), []);
  return html`<section aria-labelledby="privacy-title">
    <h1 id="privacy-title">Privacy</h1>
    <${Show} value=${report} body=${(r: PrivacyReport) => html`<div class="grid">
      <div class="card">
        <h2>Privacy mode</h2>
        <${Mode} r=${r} />
      </div>
      <div class="card">
        <h2>Budget ledger</h2>
        <${Ledger} r=${r} />
      </div>
      <div class="card wide">
        <h2>Plausible deniability by ε</h2>
        <${Show} value=${records} body=${(e: { evaluations: EvaluationRecord[] }) =>
          e.evaluations[0]
            ? html`<${Deniability} record=${e.evaluations[0]} mode=${r.mode} />`
            : html`<p class="muted">No deniability measured on this store yet: <code>tastebud privacy stats --store …</code> keeps one.</p>`} />
      </div>
      <div class="card wide">
        <h2>What privacy costs: intent accuracy on perturbed text</h2>
        <${Show} value=${utility} body=${(e: { evaluations: EvaluationRecord[] }) =>
          e.evaluations[0]
            ? html`<${Utility} record=${e.evaluations[0]} />`
            : html`<p class="muted">No utility measured on this store yet: <code>tastebud privacy eval --texts ../shared/data/snips-nlu-2017 --store …</code> keeps one (any JSON-lines file of {text, intent} will do).</p>`} />
      </div>
    </div>`} />
  </section>`;
}

function Mode({ r }: { r: PrivacyReport }) {
  const m = r.mode;
  if (!m)
    return html`<p data-fact="privacy-mode">Off: request text is stored as given.</p>
      <p class="muted">Start the server with <code>--privacy epsilon=E,mechanism=laplace|gumbel,cap=C</code> to perturb every stored request word by word.</p>`;
  return html`<p data-fact="privacy-mode">On: ${mechanismWords[m.mechanism] ?? m.mechanism}, ε = ${m.epsilon} per word</p>
    <dl class="facts">
      <dt>cap per user</dt><dd>${m.cap === null ? "none" : `ε = ${m.cap}`}</dd>
      <dt>over the cap</dt><dd>${m.overBudget === "refuse" ? "the request is refused" : "its text is withheld"}</dd>
      <dt>unknown words</dt><dd>${m.oov}</dd>
      <dt>embedding table</dt><dd>${m.table.words.toLocaleString("en-US")} words × ${m.table.dimensions} dimensions</dd>
    </dl>`;
}

function Ledger({ r }: { r: PrivacyReport }) {
  const l = r.ledger;
  const cap = r.mode?.cap ?? null;
  return html`<div class="stats">
      <${Stat} id="privacy-users" label="users charged" value=${l.users} />
      <${Stat} id="privacy-total" label="ε spent in all" value=${fixed(l.total, 1)} />
      <${Stat} id="privacy-median" label="median per user" value=${fixed(l.median, 1)} />
      <${Stat} id="privacy-max" label="most by one user" value=${fixed(l.max, 1)} />
    </div>
    ${
      l.top.length === 0
        ? html`<p class="muted">No user has been charged.</p>`
        : html`<${Chart}
      deps=${[l, cap]}
      caption=${`ε spent by the ${l.top.length} biggest spenders (most: ${l.top[0].user}, ${fixed(l.top[0].spent, 1)})${cap === null ? "" : `; the red line is the cap, ε = ${cap}`}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 40 + 20 * l.top.length,
          marginLeft: 90,
          x: { label: "spent ε", grid: true, domain: [0, Math.max(l.max, cap ?? 0) * 1.05] },
          y: { label: null },
          marks: [
            Plot.barX(l.top, { y: "user", x: "spent", fill: "#3b6fd8", sort: { y: "-x" }, tip: true }),
            ...(cap === null ? [] : [Plot.ruleX([cap], { stroke: "#b0301c", strokeWidth: 2 })]),
            Plot.ruleX([0]),
          ],
        })}
    />`
    }`;
}

function Deniability({ record, mode }: { record: EvaluationRecord; mode: PrivacyReport["mode"] }) {
  const report = record.report as DeniabilityReport;
  const rows = report.rows.filter((r): r is Measured => "unchanged" in r);
  const skipped = report.rows.filter((r) => "error" in r);
  const mechanisms = [...new Set(rows.map((r) => r.mechanism))];
  const points = rows.map((r) => ({ ...r, name: mechanismWords[r.mechanism] ?? r.mechanism }));
  const median = (m: string) =>
    rows
      .filter((r) => r.mechanism === m)
      .map((r) => `ε ${r.epsilon}: ${percent(r.unchanged.median)}`)
      .join(", ");
  const served = mode
    ? [{ epsilon: mode.epsilon, name: mechanismWords[mode.mechanism] ?? mode.mechanism }]
    : [];
  const panel = (y: "unchanged" | "distinct", label: string, caption: string) =>
    html`<${Chart}
      deps=${[record.id, y]}
      caption=${caption}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 260,
          x: { label: "ε per word", type: "log", grid: true },
          y: { label, grid: true, ...(y === "unchanged" ? { domain: [0, 1], tickFormat: "%" } : {}) },
          color: {
            legend: true,
            domain: mechanisms.map((m) => mechanismWords[m] ?? m),
            range: ["#3b6fd8", "#e08a1e"],
          },
          marks: [
            Plot.areaY(points, {
              x: "epsilon",
              y1: (r: Measured) => r[y].p10,
              y2: (r: Measured) => r[y].p90,
              fill: "name",
              fillOpacity: 0.15,
            }),
            Plot.line(points, {
              x: "epsilon",
              y: (r: Measured) => r[y].median,
              stroke: "name",
              marker: "dot",
              tip: true,
            }),
            Plot.ruleX(served, { x: "epsilon", stroke: "#b0301c", strokeDasharray: "4 3" }),
          ],
        })}
    />`;
  const setup = `${report.setup.words} words × ${report.setup.draws} draws each, on a ${report.table.words.toLocaleString("en-US")}-word table`;
  return html`<p class="muted">From <code>${record.command}</code>: ${setup}${mode ? "; the dashed line is the ε this server runs with" : ""}.</p>
    <div class="grid">
      <div>${panel(
        "unchanged",
        "N_w (draws that keep the word)",
        `Share of draws that leave a word unchanged (N_w), median with the 10th–90th percentile band, by ε: ${mechanisms.map((m) => `${mechanismWords[m] ?? m} ${median(m)}`).join("; ")}. Lower means more deniable.`,
      )}</div>
      <div>${panel("distinct", "S_w (distinct outputs)", "Distinct words a word is replaced by (S_w), median with the 10th–90th percentile band, by ε. Higher means more deniable.")}</div>
    </div>
    ${skipped.length > 0 && html`<p class="muted">Not run: ${skipped.map((r) => `${r.mechanism} ε ${r.epsilon} (${"error" in r ? r.error : ""})`).join("; ")}.</p>`}`;
}

/** A cell of `tastebud privacy eval`: one mechanism at one ε (or the unperturbed ceiling), over seeds. */
interface UtilityCell {
  mechanism: string;
  epsilon: number | null;
  matchedTo: string;
  medianUnchanged: number | null;
  accuracy: { mean: number; min: number; max: number };
  slotSurvival: { mean: number; min: number; max: number } | null;
}
interface UtilityReport {
  train: number;
  test: number;
  seeds: number;
  oov: string;
  cells: UtilityCell[];
}

/**
 * Utility against privacy: intent accuracy of a classifier trained and tested on perturbed text, and the share
 * of slot values (names of artists, tracks, playlists) that survive, each against the median share of draws
 * that keep a word (N_w), the axis on which the two mechanisms are comparable (their ε are not).
 */
function Utility({ record }: { record: EvaluationRecord }) {
  const report = record.report as UtilityReport;
  const ceiling = report.cells.find((c) => c.mechanism === "none");
  const placed = report.cells
    .filter(
      (c): c is UtilityCell & { medianUnchanged: number } =>
        c.mechanism !== "none" && c.medianUnchanged !== null,
    )
    .map((c) => ({ ...c, name: mechanismWords[c.mechanism] ?? c.mechanism }))
    .sort((a, b) => a.medianUnchanged - b.medianUnchanged);
  // The same colour for a mechanism as in the deniability panels above: Laplace blue, Gumbel orange.
  const names = Object.values(mechanismWords).filter((n) => placed.some((c) => c.name === n));
  const colour = {
    legend: true,
    domain: names,
    range: names.map((n) => (n === mechanismWords.laplace ? "#3b6fd8" : "#e08a1e")),
  };
  const withSlots = report.cells.some((c) => c.slotSurvival !== null);
  // Pairs at matched deniability: a Gumbel cell and the Laplace ε chosen to match its median N_w.
  const matched = report.cells
    .filter((c) => c.matchedTo.startsWith("median N_w of"))
    .map((l) => {
      const g = report.cells.find(
        (c) => c.mechanism === "gumbel" && l.matchedTo.startsWith(`median N_w of gumbel ε=${c.epsilon} `),
      );
      return g
        ? `Gumbel ε ${g.epsilon} ${fixed(g.accuracy.mean)} vs Laplace ε ${fixed(l.epsilon ?? Number.NaN, 2)} ${fixed(l.accuracy.mean)} (N_w ${fixed(l.medianUnchanged ?? Number.NaN, 2)})`
        : null;
    })
    .filter((x): x is string => x !== null);
  const panel = (y: "accuracy" | "slotSurvival", label: string, caption: string) =>
    html`<${Chart}
      deps=${[record.id, y]}
      caption=${caption}
      draw=${(width: number) => {
        const rows = placed.filter((c) => c[y] !== null) as Array<
          (typeof placed)[number] & Record<typeof y, { mean: number; min: number; max: number }>
        >;
        return Plot.plot({
          width,
          height: 260,
          x: {
            label: "median N_w (share of draws that keep a word; lower is more deniable)",
            domain: [0, 1],
            tickFormat: "%",
            grid: true,
          },
          y: { label, domain: [0, 1], tickFormat: "%", grid: true },
          color: colour,
          marks: [
            ...(y === "accuracy" && ceiling
              ? [
                  Plot.ruleY([ceiling.accuracy.mean], { stroke: "#5b6475", strokeDasharray: "4 3" }),
                  Plot.text([ceiling.accuracy.mean], {
                    y: (v: number) => v,
                    frameAnchor: "right",
                    textAnchor: "end",
                    dy: -7,
                    text: () => "unperturbed",
                  }),
                ]
              : []),
            Plot.ruleX(rows, {
              x: "medianUnchanged",
              y1: (c) => c[y].min,
              y2: (c) => c[y].max,
              stroke: "name",
            }),
            Plot.line(rows, { x: "medianUnchanged", y: (c) => c[y].mean, stroke: "name", z: "name" }),
            Plot.dot(rows, {
              x: "medianUnchanged",
              y: (c) => c[y].mean,
              fill: "name",
              r: 4,
              tip: true,
              title: (c) =>
                `${c.name}, ε ${fixed(c.epsilon ?? Number.NaN, 2)} (${c.matchedTo})\n${label}: ${percent(c[y].mean)} [${percent(c[y].min)}, ${percent(c[y].max)}]\nmedian N_w ${percent(c.medianUnchanged)}`,
            }),
          ],
        });
      }}
    />`;
  const intervals = report.seeds > 1 ? `; the bars span the ${report.seeds} seeds` : "";
  return html`<p class="muted">From <code>${record.command}</code>: a bag-of-words intent classifier trained on ${report.train.toLocaleString("en-US")} perturbed requests and tested on ${report.test.toLocaleString("en-US")}, ${report.seeds} seed${report.seeds === 1 ? "" : "s"}; unknown words: ${report.oov}. Unperturbed accuracy <span data-stat="utility-ceiling">${ceiling ? fixed(ceiling.accuracy.mean) : "–"}</span>.</p>
    <div class="grid">
      <div>${panel(
        "accuracy",
        "intent accuracy",
        `Intent accuracy against plausible deniability, by mechanism (mean${intervals}); the dashed line is the unperturbed accuracy${ceiling ? `, ${fixed(ceiling.accuracy.mean)}` : ""}. ${matched.length ? `At matched median N_w: ${matched.join("; ")}.` : ""}`,
      )}</div>
      <div>${
        withSlots
          ? panel(
              "slotSurvival",
              "slot values kept",
              "Share of slot values (artist, track and playlist names) that survive perturbation, against plausible deniability, by mechanism: what rewriting and resolution still have to work with.",
            )
          : html`<p class="muted">These requests carry no slots (the SNIPS files do), so no surviving slot values to show.</p>`
      }</div>
    </div>
    <${Table}
      caption="Every cell of the evaluation: mechanism, ε and why it was run, deniability, accuracy and surviving slot values (mean over seeds)"
      rows=${report.cells}
      columns=${[
        {
          label: "mechanism",
          cell: (c: UtilityCell) =>
            html`<span data-utility-mechanism>${mechanismWords[c.mechanism] ?? "none (ceiling)"}</span>`,
        },
        {
          label: "ε",
          numeric: true,
          cell: (c: UtilityCell) => (c.epsilon === null ? "–" : fixed(c.epsilon, 2)),
        },
        { label: "run because", cell: (c: UtilityCell) => c.matchedTo },
        { label: "median N_w", numeric: true, cell: (c: UtilityCell) => fixed(c.medianUnchanged, 2) },
        {
          label: "accuracy",
          numeric: true,
          cell: (c: UtilityCell) => html`<span data-utility-accuracy>${fixed(c.accuracy.mean)}</span>`,
        },
        { label: "slot values kept", numeric: true, cell: (c: UtilityCell) => percent(c.slotSurvival?.mean) },
      ]}
    />`;
}
