import * as Plot from "@observablehq/plot";
import { api, type ServingView, type SwapView } from "../api.js";
import { Chart, html, Show, Stat, Table, useAsync } from "../ui.js";

/** The replica this page was opened on: where it reads, what it serves, how its swaps went. */
export function ServingPage() {
  const [report, reload] = useAsync(() => api.serving(), []);
  return html`<section aria-labelledby="serving-title">
    <h1 id="serving-title">Serving</h1>
    <p class="muted">This replica only: every replica behind a load balancer answers for itself (<code>GET /v1/serving</code>).
      <button type="button" onClick=${reload}>Refresh</button></p>
    <${Show} value=${report} body=${(r: ServingView) => html`<${ServingBody} r=${r} />`} />
  </section>`;
}

const when = (iso: string | null) => (iso === null ? "–" : `${iso.replace("T", " ").slice(0, 19)} UTC`);
const ms = (x: number) => `${x.toLocaleString("en-US", { maximumFractionDigits: 0 })} ms`;

function ServingBody({ r }: { r: ServingView }) {
  const behind = r.model !== null && r.registryCurrent !== null && r.registryCurrent !== r.model.version;
  return html`
    <div class="stats">
      <${Stat} id="serving-version" label="version serving" value=${r.model?.version ?? "none"} />
      <${Stat} id="serving-swaps" label="swaps kept" value=${r.swaps.length} />
      <${Stat} id="serving-foldin" label="users folded in" value=${r.foldIn.users} />
      <${Stat} id="serving-loop-max" label="event-loop delay, max (ms)" value=${(r.eventLoop.maxSeconds * 1000).toFixed(1)} />
    </div>
    ${behind && html`<p class="error" role="status">Behind the registry: it names ${r.registryCurrent} current${r.swapInProgress ? "; the swap is under way" : ""}.</p>`}
    <div class="grid">
      <div class="card">
        <h2>Store and bus</h2>
        <dl class="facts">
          <dt>store</dt><dd data-fact="store-kind">${r.store.kind}</dd>
          <dt>where</dt><dd data-fact="store-location">${r.store.location}</dd>
          <dt>bus</dt><dd data-fact="bus">${r.bus ? `${r.bus.location} (${r.bus.state})` : "none: this process serves alone"}</dd>
          ${
            r.bus &&
            html`<dt>stream</dt><dd>${r.bus.stream}</dd>
              <dt>published</dt><dd data-fact="bus-published">${r.bus.published.toLocaleString("en-US")}${r.bus.publishFailures ? `, ${r.bus.publishFailures} failed` : ""}</dd>
              <dt>applied</dt><dd data-fact="bus-applied">${r.bus.applied.toLocaleString("en-US")}, the last at ${when(r.bus.lastAppliedAt)}</dd>
              <dt>apply delay p99</dt><dd>${r.bus.applyDelayP99Ms === null ? "–" : `${ms(r.bus.applyDelayP99Ms)} over ${r.bus.applyDelaysMeasured}`}</dd>`
          }
        </dl>
      </div>
      <div class="card">
        <h2>Model</h2>
        <dl class="facts">
          <dt>version</dt><dd data-fact="serving-model">${r.model?.version ?? "none yet"}</dd>
          <dt>trained</dt><dd>${when(r.model?.createdAt ?? null)}</dd>
          <dt>serving since</dt><dd data-fact="loaded-at">${when(r.model?.loadedAt ?? null)}</dd>
          <dt>registry's current</dt><dd data-fact="registry-current">${r.registryCurrent ?? "none"}</dd>
          <dt>swap under way</dt><dd>${r.swapInProgress ? "yes" : "no"}</dd>
          <dt>fold-in</dt><dd>${r.foldIn.enabled ? "on" : "off"}: ${r.foldIn.users.toLocaleString("en-US")} of at most ${r.foldIn.maxUsers.toLocaleString("en-US")} users</dd>
          <dt>event loop</dt><dd data-fact="event-loop">max ${(r.eventLoop.maxSeconds * 1000).toFixed(1)} ms, p99 ${(r.eventLoop.p99Seconds * 1000).toFixed(1)} ms since ${when(r.eventLoop.windowStartedAt)}</dd>
        </dl>
        <p class="muted">The event-loop figures are those the next <code>/metrics</code> scrape reports (this page reads them without starting a new window).</p>
      </div>
      <div class="card wide">
        <h2>Recent swaps</h2>
        <${SwapChart} swaps=${r.swaps} />
        <${Table}
          caption="Model swaps of this process, newest first"
          empty="No swap yet: this process has served no model."
          rows=${r.swaps}
          columns=${[
            {
              label: "version",
              cell: (s: SwapView) => html`<span data-swap=${s.version}>${s.version}</span>`,
            },
            { label: "replaced", cell: (s: SwapView) => s.previous ?? "–" },
            {
              label: "cause",
              cell: (s: SwapView) => (s.cause === "trained-here" ? "trained here" : "registry"),
            },
            { label: "asked at", cell: (s: SwapView) => when(s.requestedAt) },
            { label: "waited", numeric: true, cell: (s: SwapView) => ms(s.waitMs) },
            { label: "read", numeric: true, cell: (s: SwapView) => ms(s.readMs) },
            {
              label: "until serving",
              numeric: true,
              cell: (s: SwapView) => html`<span data-swap-total>${ms(s.totalMs)}</span>`,
            },
          ]}
        />
      </div>
      <div class="card wide">
        <h2>Registry</h2>
        <p class="muted">${r.registryVersions.toLocaleString("en-US")} version${r.registryVersions === 1 ? "" : "s"} registered${r.registryVersions > r.registry.length ? `; the newest ${r.registry.length} listed` : ""}.</p>
        <${Table}
          caption="Model versions in the registry, newest first"
          empty="No version registered yet: train one."
          rows=${r.registry}
          columns=${[
            {
              label: "version",
              cell: (m: ServingView["registry"][number]) =>
                html`<span data-registry=${m.version}>${m.version}</span>`,
            },
            { label: "registered", cell: (m: ServingView["registry"][number]) => when(m.createdAt) },
            {
              label: "current",
              cell: (m: ServingView["registry"][number]) => (m.isCurrent ? "current" : ""),
            },
            {
              label: "served here",
              cell: (m: ServingView["registry"][number]) => (m.serving ? "serving" : ""),
            },
          ]}
        />
      </div>
    </div>`;
}

/** Each swap's read and the rest of its time until serving, oldest on the left. */
function SwapChart({ swaps }: { swaps: SwapView[] }) {
  if (swaps.length === 0) return null;
  const oldestFirst = [...swaps].reverse();
  const parts = oldestFirst.flatMap((s, k) => [
    { swap: `${k + 1}. ${s.version}`, part: "read", ms: s.readMs },
    { swap: `${k + 1}. ${s.version}`, part: "rest until serving", ms: Math.max(0, s.totalMs - s.readMs) },
  ]);
  const longest = swaps.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
  const latest = swaps[0];
  const caption = `Time from request to serving of the ${swaps.length} latest model swap${swaps.length === 1 ? "" : "s"}, split into the read of the version's files and the rest. Latest: ${latest.version} in ${ms(latest.totalMs)} (read ${ms(latest.readMs)}); longest: ${longest.version} in ${ms(longest.totalMs)}.`;
  return html`<${Chart}
    deps=${[swaps]}
    caption=${caption}
    draw=${(width: number) =>
      Plot.plot({
        width,
        height: 60 + 26 * swaps.length,
        marginLeft: 180,
        color: { legend: true, domain: ["read", "rest until serving"], range: ["#3b6fd8", "#e08a1e"] },
        x: { label: "ms", grid: true },
        y: { label: null, domain: parts.filter((p) => p.part === "read").map((p) => p.swap) },
        marks: [Plot.barX(parts, { y: "swap", x: "ms", fill: "part", tip: true }), Plot.ruleX([0])],
      })}
  />`;
}
