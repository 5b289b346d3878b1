import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { api, type PoolPlaylist, type Pools } from "../api.js";
import { byLine, Chart, fixed, html, Show, Table, useAsync } from "../ui.js";

/** How a pool's track got its place: the editor's opener, a quota rule ("at least N <tag>"), or the ranking. */
const placedColours = { domain: ["opener", "rule", "ranked"], range: ["#6b4fbb", "#e08a1e", "#3b6fd8"] };
const placedGroup = (placed: string) =>
  placed === "opener" ? "opener" : placed === "ranked" ? "ranked" : "rule";

/** Algotorial playlists: the editors' pools (GET /v1/pools), one ranked for this listener under its rules. */
export function PoolsView({ user }: { user: string }) {
  const [pools] = useAsync(() => api.pools(), []);
  return html`<${Show} value=${pools} body=${(p: Pools) =>
    p.pools.length === 0
      ? html`<p class="muted">No editor's pool yet: <code>tastebud pools add NAME --tags jazz --at-least 3:new-release</code> (or <code>PUT /v1/pools/{name}</code>) stores one; each listener then gets it in their own order.</p>`
      : html`<${PoolChoice} user=${user} names=${p.pools.map((x) => x.name)} />`} />`;
}

function PoolChoice({ user, names }: { user: string; names: string[] }) {
  const [name, setName] = useState(names[0]);
  const [ranked] = useAsync(() => api.poolPlaylist(name, user), [name, user]);
  return html`<form class="inline" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>pool
        <select name="pool" value=${name} onChange=${(e: Event) => setName((e.target as HTMLSelectElement).value)}>
          ${names.map((n) => html`<option value=${n}>${n}</option>`)}
        </select>
      </label>
    </form>
    <${Show} value=${ranked} body=${(r: PoolPlaylist) => html`<${PoolBody} r=${r} />`} />`;
}

type PoolTrack = PoolPlaylist["tracks"][number];

function PoolBody({ r }: { r: PoolPlaylist }) {
  const points = r.tracks.map((t, k) => ({
    ...t,
    position: k + 1,
    how: placedGroup(t.placed),
    value: t.relevance ?? 0,
  }));
  const byRule = points.filter((p) => p.how !== "ranked").length;
  const order =
    r.source === "editor"
      ? "in the editor's order (the model does not know this listener)"
      : `ranked for ${r.user} by the model ${r.model}`;
  return html`<p class="muted">Pool <strong data-fact="pool">${r.pool.name}</strong> v${r.pool.version}, ${order}: <span data-stat="pool-tracks">${r.tracks.length}</span> tracks, ${byRule} placed by the editor's rules.${r.unmet.length ? ` Not met: ${r.unmet.join("; ")}.` : ""}${r.unknownItems.length ? ` Listed but unknown to the model: ${r.unknownItems.length}.` : ""}</p>
    <${Chart}
      deps=${[r]}
      caption=${`Predicted relevance of each of the ${r.tracks.length} tracks of pool ${r.pool.name} in playing order for ${r.user}, coloured by what placed it (opener, a rule, or the ranking)${r.tracks[0] ? `; first: ${r.tracks[0].title}` : ""}.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 200,
          x: { label: "position" },
          y: { label: "relevance", grid: true, domain: [0, 1] },
          color: { legend: true, ...placedColours },
          marks: [
            Plot.barY(points, {
              x: "position",
              y: "value",
              fill: "how",
              tip: true,
              title: (p: PoolTrack) => `${p.title}\n${p.reason}`,
            }),
            Plot.ruleY([0]),
          ],
        })}
    />
    <${Table}
      caption="The pool's playlist for this listener, in order, with what placed each track and why"
      rows=${r.tracks}
      columns=${[
        { label: "title", cell: (t: PoolTrack) => html`<span data-pool-track>${t.title}</span>` },
        { label: "by", cell: (t: PoolTrack) => byLine(t.creators) },
        { label: "placed", cell: (t: PoolTrack) => t.placed },
        { label: "relevance", numeric: true, cell: (t: PoolTrack) => fixed(t.relevance) },
        { label: "why", cell: (t: PoolTrack) => t.reason },
      ]}
    />`;
}
