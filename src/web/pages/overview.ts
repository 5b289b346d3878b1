import * as Plot from "@observablehq/plot";
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, type EvaluationRecord, type JobView, type Overview } from "../api.js";
import { href } from "../router.js";
import { Chart, day, fixed, html, Show, Stat, Table, useAsync } from "../ui.js";

/** The store, the serving model and its training, at a glance. */
export function OverviewPage() {
  const [overview, reload] = useAsync(() => api.overview(), []);
  const [evaluation] = useAsync(() => api.evaluations("affinity"), []);
  return html`<section aria-labelledby="overview-title">
    <h1 id="overview-title">Overview</h1>
    <${Show} value=${overview} body=${(o: Overview) => html`<${OverviewBody} o=${o} reload=${reload} />`} />
    <${Show} value=${evaluation} body=${(e: { evaluations: EvaluationRecord[] }) => html`<${LatestEvaluation} record=${e.evaluations[0]} />`} />
  </section>`;
}

function OverviewBody({ o, reload }: { o: Overview; reload: () => void }) {
  const s = o.store;
  const perKind = s.perDay.flatMap((d) => [
    { day: new Date(`${d.day}T00:00:00Z`), kind: "plays", events: d.plays },
    { day: new Date(`${d.day}T00:00:00Z`), kind: "requests", events: d.requests },
  ]);
  return html`
    <div class="stats">
      <${Stat} id="plays" label="plays stored" value=${s.plays} />
      <${Stat} id="requests" label="request events" value=${s.requests} />
      <${Stat} id="users" label="users" value=${s.users} />
      <${Stat} id="items" label="items played" value=${s.playedItems} />
      <${Stat} id="catalogue" label="catalogue items" value=${s.catalogueItems} />
      <${Stat} id="rejected" label="rows rejected at ingest" value=${s.ingest.rejected} />
    </div>
    <p class="muted">Plays from ${day(s.firstPlayMs)} to ${day(s.lastPlayMs)}; ${s.ingest.runs.toLocaleString("en-US")} ingest runs (files and HTTP batches), ${s.ingest.duplicates.toLocaleString("en-US")} re-sent rows skipped as duplicates.</p>
    <div class="grid">
      <div class="card wide">
        <h2>Events per day</h2>
        <${Chart}
          deps=${[s.perDay]}
          caption=${`Events stored per day, by kind: ${s.plays} plays and ${s.requests} request events over ${s.perDay.length} days.`}
          draw=${() =>
            Plot.plot({
              height: 220,
              marginLeft: 50,
              color: { legend: true, range: ["#3b6fd8", "#e08a1e"] },
              x: { label: null, type: "utc" },
              y: { label: "events", grid: true },
              marks: [
                Plot.rectY(perKind, { x: "day", y: "events", fill: "kind", interval: "day", tip: true }),
                Plot.ruleY([0]),
              ],
            })}
        />
      </div>
      <div class="card">
        <h2>Serving model</h2>
        ${o.model ? html`<${ModelFacts} o=${o} />` : html`<p>No model yet: train one.</p>`}
        <${TrainButton} job=${o.job} onDone=${reload} />
      </div>
      <div class="card">
        <h2>Most active listeners</h2>
        <${Table}
          caption="Users with the most plays"
          rows=${s.topUsers}
          columns=${[
            {
              label: "user",
              cell: (r: { user: string }) => html`<a href=${href("listener", r.user)}>${r.user}</a>`,
            },
            {
              label: "plays",
              numeric: true,
              cell: (r: { plays: number }) => r.plays.toLocaleString("en-US"),
            },
          ]}
        />
      </div>
    </div>`;
}

/** The latest held-out figures in one line: tastebud's Spearman and NDCG@10 beside each baseline's. */
function LatestEvaluation({ record }: { record?: EvaluationRecord }) {
  if (!record)
    return html`<p class="muted">No evaluation recorded yet: <code>tastebud eval</code> keeps one.</p>`;
  const report = record.report as {
    model: Metrics;
    recommender?: Metrics | null;
    baselines: Record<string, Metrics | null>;
  };
  // Baselines not trained in that run (e.g. EASE above its item limit) are null.
  const rows = [
    ["recommend", report.recommender ?? null],
    ["affinity", report.model],
    ...Object.entries(report.baselines),
  ].filter((r): r is [string, Metrics] => r[1] !== null && r[1] !== undefined);
  return html`<div class="card evaluation">
    <h2>Latest evaluation</h2>
    <p class="muted">Held-out Spearman with play duration and NDCG@10, from <code>${record.command}</code>; details on <a href=${href("model")}>model and evidence</a>.</p>
    <p>${rows.map(([name, m]) => html`<span class="pair"><strong>${name}</strong> ${fixed(m.spearman)} / ${fixed(m["ndcg@10"])}</span> `)}</p>
  </div>`;
}

type Metrics = Record<string, number | null>;

function ModelFacts({ o }: { o: Overview }) {
  const m = o.model;
  if (!m) return null;
  const settings = Object.entries(m.config ?? {}).filter(([, v]) => typeof v !== "object");
  return html`<dl class="facts">
      <dt>version</dt><dd data-fact="model-version">${m.version}</dd>
      <dt>trained</dt><dd>${m.createdAt.replace("T", " ").slice(0, 19)} UTC</dd>
      <dt>trained on</dt><dd>${m.dataWindow.plays.toLocaleString("en-US")} plays, ${m.dataWindow.users} users, ${m.dataWindow.items} items</dd>
      <dt>label rule</dt><dd>skip below ${m.rule.thresholdMs / 1000} s, weighting ${m.rule.weighting}</dd>
      <dt>factors</dt><dd>${m.factors}</dd>
      ${settings.map(([k, v]) => html`<dt>${k}</dt><dd>${String(v)}</dd>`)}
    </dl>
    <p class="muted">${o.models.length} model version${o.models.length === 1 ? "" : "s"} stored; ${o.evaluations} evaluation record${o.evaluations === 1 ? "" : "s"} (<a href=${href("model")}>model and evidence</a>).</p>`;
}

/** Starts a training job (needs the API key) and follows its progress until it ends. */
function TrainButton({ job, onDone }: { job: JobView | null; onDone: () => void }) {
  const [current, setCurrent] = useState<JobView | null>(job);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!current || current.status === "succeeded" || current.status === "failed") return;
    const timer = setTimeout(async () => {
      try {
        const next = await api.job(current.id);
        setCurrent(next);
        if (next.status === "succeeded") onDone();
      } catch (err) {
        setError((err as Error).message);
      }
    }, 500);
    return () => clearTimeout(timer);
  }, [current, onDone]);
  const start = async () => {
    setError(null);
    try {
      const { job: started } = await api.train();
      setCurrent({
        id: started.id,
        status: started.status,
        progress: { phase: "queued", done: 0, total: 1 },
      });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "Training needs the API key (top right)."
          : (err as Error).message,
      );
    }
  };
  const running = current && (current.status === "queued" || current.status === "running");
  return html`<div class="job">
    <button type="button" onClick=${start} disabled=${running}>Train a new model</button>
    ${
      current &&
      html`<div class="job-status" role="status">
      <label>training ${current.status}: ${current.progress.phase}
        <progress max=${current.progress.total || 1} value=${current.progress.done}></progress></label>
      ${current.error && html`<p class="error">${current.error}</p>`}
    </div>`
    }
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}
