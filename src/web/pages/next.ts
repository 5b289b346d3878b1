import * as Plot from "@observablehq/plot";
import { useState } from "preact/hooks";
import { api, type ItemMap, type NextItems, type SimilarItems } from "../api.js";
import { href } from "../router.js";
import { byLine, Chart, fixed, html, Show, Table, useAsync } from "../ui.js";

type Next = NextItems["items"][number];

const factorWords: Record<string, string> = {
  edge: "played next before",
  "two-step": "two steps away",
  learned: "learned direction only",
};

/** What follows an item (the directed model), beside what is merely similar to it (the symmetric one). */
export function NextPage({ item }: { item?: string }) {
  // Without an item in the address, start from the most played one (the item map lists them by plays).
  const [start] = useAsync(
    () => (item ? Promise.resolve(item) : api.itemMap(2).then((m: ItemMap) => m.points[0]?.item ?? "")),
    [item],
  );
  return html`<section aria-labelledby="next-title">
    <h1 id="next-title">What follows</h1>
    <${Show} value=${start} body=${(id: string) => html`<${ItemForm} item=${id} />${id ? html`<${NextView} key=${id} item=${id} />` : html`<p class="muted">Type an item id.</p>`}`} />
  </section>`;
}

function ItemForm({ item }: { item: string }) {
  const [typed, setTyped] = useState(item);
  return html`<form class="inline" onSubmit=${(e: Event) => {
    e.preventDefault();
    if (typed.trim()) location.hash = href("next", typed.trim());
  }}>
    <label>item id <input name="item" value=${typed} onInput=${(e: Event) => setTyped((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Show</button>
  </form>`;
}

function NextView({ item }: { item: string }) {
  const [next] = useAsync(() => api.next(item, 12), [item]);
  const [similar] = useAsync(() => api.similarItems(item, 12), [item]);
  return html`<div class="grid">
    <div class="card wide">
      <h2>Played after <span class="accent">${item}</span></h2>
      <${Show} value=${next} body=${(n: NextItems) => html`<${NextBody} n=${n} />`} />
    </div>
    <div class="card wide">
      <h2>Similar (either way round)</h2>
      <${Show} value=${similar} body=${(s: SimilarItems) => html`<${Table}
        caption="Items liked by the same listeners: the symmetric view, for contrast"
        rows=${s.items}
        columns=${[
          {
            label: "title",
            cell: (x: SimilarItems["items"][number]) => html`<a href=${href("next", x.item)}>${x.title}</a>`,
          },
          { label: "by", cell: (x: SimilarItems["items"][number]) => byLine(x.creators) },
        ]}
      />`} />
    </div>
  </div>`;
}

function NextBody({ n }: { n: NextItems }) {
  if (n.items.length === 0)
    return html`<p class="muted">Nothing follows this item in the directed model.</p>`;
  const rows = n.items.map((x) => ({ ...x, why: factorWords[x.reasons[0]?.factor ?? "learned"] }));
  return html`<p class="muted">Directed model ${n.model}: score s_u·t_v + b_v, not symmetric (A→B says nothing of B→A).</p>
    <${Chart}
      deps=${[n]}
      caption=${`The ${rows.length} items most likely to be played after ${n.item}: ${rows
        .slice(0, 3)
        .map((x) => `${x.title} ${fixed(x.score, 2)}`)
        .join(", ")}; colour: its first reason.`}
      draw=${(width: number) =>
        Plot.plot({
          width,
          height: 40 + 24 * rows.length,
          marginLeft: 200,
          x: { label: "score", grid: true },
          y: { label: null, domain: rows.map((x) => x.title) },
          color: {
            legend: true,
            domain: Object.values(factorWords),
            range: ["#3b6fd8", "#e08a1e", "#9aa3b5"],
          },
          marks: [Plot.barX(rows, { y: "title", x: "score", fill: "why", tip: true }), Plot.ruleX([0])],
        })}
    />
    <${Table}
      caption="What follows, best first, with the reasons"
      rows=${n.items}
      columns=${[
        { label: "title", cell: (x: Next) => html`<a data-next href=${href("next", x.item)}>${x.title}</a>` },
        { label: "by", cell: (x: Next) => byLine(x.creators) },
        { label: "score", numeric: true, cell: (x: Next) => fixed(x.score, 3) },
        { label: "why", cell: (x: Next) => x.reasons.map((r) => r.detail).join("; ") },
      ]}
    />`;
}
