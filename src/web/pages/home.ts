import * as Plot from "@observablehq/plot";
import { api, type HomeEvidence, type HomeReport } from "../api.js";
import { Chart, fixed, html, percent, Show, Stat, Table, useAsync } from "../ui.js";

type Arm = HomeReport["arms"][number];
type Ope = HomeEvidence["ope"][number];
type Simulation = HomeEvidence["simulations"][number];
type Policy = NonNullable<HomeReport["policy"]>;

/** Home shelves: what the learning policy shows, how often each shelf gets a stream, and the impression log. */
export function HomePage() {
  const [report] = useAsync(() => api.homeReport(30), []);
  const [evidence] = useAsync(() => api.homeEvidence(), []);
  return html`<section aria-labelledby="home-title">
    <h1 id="home-title">Home shelves</h1>
    <${Show} value=${report} body=${(r: HomeReport) =>
      r.policy
        ? html`<${HomeBody} r=${r} policy=${r.policy} />`
        : html`<p class="muted">No home policy yet: it starts with the first <code>GET /v1/users/{id}/home</code>.</p>`} />
    <${Show} value=${evidence} body=${(e: HomeEvidence) => html`<${EvidenceView} e=${e} />`} />
  </section>`;
}

/** Off-policy estimates and simulated regret: how a policy would do before it meets people. */
function EvidenceView({ e }: { e: HomeEvidence }) {
  return html`<h2 id="home-evidence">Before real users: off-policy estimates and simulations</h2>
    ${
      e.ope.length === 0
        ? html`<p class="muted">No off-policy evaluation kept: <code>tastebud bandit ope --log FILE --policy NAME --store STORE</code> adds one.</p>`
        : e.ope.map((o) => html`<div class="card wide" data-ope=${o.id}><${OpeView} o=${o} /></div>`)
    }
    ${
      e.simulations.length === 0
        ? html`<p class="muted">No simulation kept: <code>tastebud bandit simulate --env world --store STORE</code> adds one.</p>`
        : html`<div class="grid">${e.simulations.map((s) => html`<div class="card wide" data-simulation=${s.env}><${RegretView} s=${s} /></div>`)}</div>`
    }`;
}

const num5 = (v: number | null) => (v === null ? "-" : v.toFixed(5));

function OpeView({ o }: { o: Ope }) {
  const best = o.estimates
    .filter((x) => x.relativeError !== null)
    .sort((a, b) => (a.relativeError ?? 0) - (b.relativeError ?? 0))[0];
  return html`<h3>${o.policy}, estimated from ${o.log}</h3>
    <p class="muted">${o.rows.toLocaleString("en-US")} logged rows; mean importance weight <span data-fact="ope-mean-weight">${fixed(o.meanWeight, 3)}</span> (1 when the logged propensities are right), effective sample ${Math.round(o.effectiveSampleSize).toLocaleString("en-US")}; reward model ${o.rewardModel}; SLOPE chose Switch-DR threshold ${o.switchTau} and DRos shrinkage ${o.drosLambda}.
    ${o.observed ? html` Observed on-policy value <strong data-fact="ope-observed">${num5(o.observed.value)}</strong> [${num5(o.observed.lower)}, ${num5(o.observed.upper)}]${best ? `; closest: ${best.estimator} (relative error ${fixed(best.relativeError ?? 0, 3)})` : ""}.` : ""}</p>
    <${Table}
      caption=${`Each estimator with its bootstrap 95% interval. Command: ${o.command}`}
      rows=${o.estimates}
      columns=${[
        {
          label: "estimator",
          cell: (x: Ope["estimates"][number]) => html`<span data-estimator>${x.estimator}</span>`,
        },
        {
          label: "estimate",
          numeric: true,
          cell: (x: Ope["estimates"][number]) => html`<span data-estimate>${num5(x.estimate)}</span>`,
        },
        {
          label: "95% interval",
          numeric: true,
          cell: (x: Ope["estimates"][number]) => `[${num5(x.lower)}, ${num5(x.upper)}]`,
        },
        {
          label: "relative error",
          numeric: true,
          cell: (x: Ope["estimates"][number]) => (x.relativeError === null ? "-" : fixed(x.relativeError, 3)),
        },
        {
          label: "covers observed",
          cell: (x: Ope["estimates"][number]) =>
            x.coversObserved === null ? "-" : x.coversObserved ? "yes" : "no",
        },
      ]}
    />`;
}

function RegretView({ s }: { s: Simulation }) {
  const rows = s.policies.flatMap((p) =>
    p.regretPerRound.map((regret, r) => ({ policy: p.policy, round: r + 1, regret })),
  );
  const ranked = [...s.policies].sort((a, b) => a.meanCumulativeRegret - b.meanCumulativeRegret);
  const best = ranked[0];
  const random = s.policies.find((p) => p.policy === "random");
  return html`<h3>Simulated regret: ${s.env}</h3>
    <${Chart}
      deps=${[s]}
      caption=${`Cumulative expected regret against the oracle per round in the ${s.env} environment, mean of ${s.seeds.length} seed${s.seeds.length === 1 ? "" : "s"} (${s.rounds} rounds of ${s.usersPerRound.toLocaleString("en-US")} visits${s.arms ? `, ${s.arms} arms` : ""}). Lowest: ${best.policy} at ${fixed(best.meanCumulativeRegret, 1)}${random ? `; random ${fixed(random.meanCumulativeRegret, 1)}` : ""}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 280,
          x: { label: "round", grid: true, ticks: Math.min(s.rounds, 10), tickFormat: "d" },
          y: { label: "cumulative regret", grid: true },
          color: { legend: true },
          marks: [
            Plot.lineY(rows, { x: "round", y: "regret", stroke: "policy", tip: true }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption=${`Final regret per policy. Command: ${s.command}`}
      rows=${ranked}
      columns=${[
        {
          label: "policy",
          cell: (p: Simulation["policies"][number]) => html`<span data-policy>${p.policy}</span>`,
        },
        {
          label: "regret",
          numeric: true,
          cell: (p: Simulation["policies"][number]) =>
            html`<span data-regret>${fixed(p.meanCumulativeRegret, 1)}</span>`,
        },
        {
          label: "vs random",
          numeric: true,
          cell: (p: Simulation["policies"][number]) =>
            p.regretVsRandom === null ? "-" : fixed(p.regretVsRandom, 3),
        },
        {
          label: "vs greedy",
          numeric: true,
          cell: (p: Simulation["policies"][number]) =>
            p.regretVsGreedy === null ? "-" : fixed(p.regretVsGreedy, 3),
        },
        {
          label: "rewards/display",
          numeric: true,
          cell: (p: Simulation["policies"][number]) => fixed(p.rewardsPerDisplay, 4),
        },
      ]}
    />`;
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
