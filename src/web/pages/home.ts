import * as Plot from "@observablehq/plot";
import { api, type HomeReport } from "../api.js";
import { Chart, fixed, html, percent, Show, Stat, Table, useAsync } from "../ui.js";

type Arm = HomeReport["arms"][number];
type Policy = NonNullable<HomeReport["policy"]>;

/** Home shelves: what the learning policy shows, how often each shelf gets a stream, and the impression log. */
export function HomePage() {
  const [report] = useAsync(() => api.homeReport(30), []);
  return html`<section aria-labelledby="home-title">
    <h1 id="home-title">Home shelves</h1>
    <${Show} value=${report} body=${(r: HomeReport) =>
      r.policy
        ? html`<${HomeBody} r=${r} policy=${r.policy} />`
        : html`<p class="muted">No home policy yet: it starts with the first <code>GET /v1/users/{id}/home</code>.</p>`} />
  </section>`;
}

function HomeBody({ r, policy }: { r: HomeReport; policy: Policy }) {
  const log = r.log;
  const updated = policy.updatedAt.replace("T", " ").slice(0, 16);
  return html`<p>Policy <strong data-fact="home-policy">${policy.kind} v${policy.version}</strong> over ${policy.arms.toLocaleString("en-US")} shelves in ${policy.segments} context segments${policy.frozen ? " (frozen: serves, does not learn)" : ""}; updated ${updated} UTC.</p>
    <div class="stats">
      <${Stat} id="home-displays" label="shelves seen (as the policy counts)" value=${policy.displays} />
      <${Stat} id="home-streams" label="streams of 30 s or more" value=${policy.streams} />
      <${Stat} id="home-rate" label="stream rate" value=${percent(policy.displays ? policy.streams / policy.displays : 0)} />
      <${Stat} id="home-impressions" label="impressions logged" value=${log.impressions} />
      <${Stat} id="home-pages" label="pages" value=${log.pages} />
    </div>
    <div class="grid">
      <div class="card wide">
        <h2>What the policy shows, and what gets streamed</h2>
        <${ArmsView} arms=${r.arms} />
      </div>
      <div class="card">
        <h2>By slot</h2>
        <${SlotsView} log=${log} />
      </div>
      <div class="card">
        <h2>By day</h2>
        <${DaysView} log=${log} />
      </div>
    </div>`;
}

function ArmsView({ arms }: { arms: Arm[] }) {
  if (arms.length === 0) return html`<p class="muted">No shelf seen yet: feedback teaches the policy.</p>`;
  const best = [...arms].sort((a, b) => b.rate - a.rate)[0];
  return html`<${Chart}
      deps=${[arms]}
      caption=${`The ${arms.length} most shown shelves by how often they were seen and their stream rate; the best rate is ${best.title} (${percent(best.rate)} of ${best.displays} displays). A learning policy shows its best shelves most and keeps trying the rest.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 280,
          x: { label: "times seen", grid: true },
          y: {
            label: "stream rate",
            grid: true,
            tickFormat: "%",
            domain: [0, Math.max(0.05, ...arms.map((a) => a.rate)) * 1.05],
          },
          marks: [
            Plot.dot(arms, {
              x: "displays",
              y: "rate",
              r: 5,
              fill: "#3b6fd8",
              fillOpacity: 0.75,
              tip: true,
              title: (a: Arm) => `${a.title}: ${a.streams} of ${a.displays}`,
            }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="The most shown shelves"
      rows=${arms.slice(0, 12)}
      columns=${[
        { label: "shelf", cell: (a: Arm) => html`<span data-arm>${a.title}</span>` },
        { label: "seen", numeric: true, cell: (a: Arm) => a.displays.toLocaleString("en-US") },
        { label: "streams", numeric: true, cell: (a: Arm) => a.streams.toLocaleString("en-US") },
        { label: "rate", numeric: true, cell: (a: Arm) => percent(a.rate) },
      ]}
    />`;
}

function SlotsView({ log }: { log: HomeReport["log"] }) {
  if (log.bySlot.length === 0) return html`<p class="muted">No impressions logged.</p>`;
  const rows = log.bySlot.map((s) => ({ ...s, rate: s.impressions ? s.rewarded / s.impressions : 0 }));
  return html`<${Chart}
    deps=${[log]}
    caption=${`Share of impressions streamed for 30 s or more at each slot (slot 1 ${percent(rows[0].rate)}, slot ${rows.length} ${percent(rows[rows.length - 1].rate)}), with the mean logged propensity as dots: the position bias off-policy evaluation has to correct for.`}
    draw=${(width: number) =>
      Plot.plot({
        width,
        height: 240,
        x: { label: "slot", tickFormat: (d: number) => String(d + 1) },
        y: { label: "rate", grid: true, tickFormat: "%" },
        color: { legend: true, domain: ["streamed", "mean propensity"], range: ["#3b6fd8", "#e08a1e"] },
        marks: [
          Plot.barY(rows, { x: "slot", y: "rate", fill: () => "streamed", tip: true }),
          Plot.dot(rows, { x: "slot", y: "meanPropensity", fill: () => "mean propensity", r: 4 }),
          Plot.ruleY([0]),
        ],
      })}
  />`;
}

function DaysView({ log }: { log: HomeReport["log"] }) {
  if (log.byDay.length === 0) return html`<p class="muted">No impressions logged.</p>`;
  const rows = log.byDay.map((d) => ({
    ...d,
    date: new Date(`${d.day}T00:00:00Z`),
    rate: d.impressions ? d.rewarded / d.impressions : 0,
  }));
  return html`<${Chart}
      deps=${[log]}
      caption=${`Impressions logged per day over ${rows.length} day${rows.length === 1 ? "" : "s"}, ${log.rewarded.toLocaleString("en-US")} of ${log.impressions.toLocaleString("en-US")} streamed (${percent(log.impressions ? log.rewarded / log.impressions : 0)}).`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 240,
          x: { type: "band", label: null, tickFormat: (d: Date) => d.toISOString().slice(5, 10) },
          y: { label: "impressions", grid: true },
          marks: [
            Plot.barY(rows, { x: "date", y: "impressions", fill: "#9aa3b5", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <p class="muted">Streamed share per day: ${rows.map((d) => `${d.day.slice(5)} ${fixed(100 * d.rate, 1)}%`).join(", ")}.</p>`;
}
