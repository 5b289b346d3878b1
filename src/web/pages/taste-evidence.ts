import * as Plot from "@observablehq/plot";
import { api, blendPolicies, type EvaluationRecord } from "../api.js";
import { Chart, fixed, html, Show, useAsync } from "../ui.js";

/** One playlist policy's held-out figures in `tastebud eval --playlists` (services/playlists.ts). */
interface PlaylistFigures {
  hitRate: number;
  ndcg: number;
  newHits: number;
  familiarShare: number;
  diversity: number;
  trueAffinityNew?: number;
}
type BlendFigures = Record<
  "joy" | "worstMember" | "equal" | "democratic" | "coherent" | "heldOutMean" | "heldOutWorst",
  number
>;
interface PlaylistsReport {
  split: { users: number; heldOutLongPlays: number };
  length: number;
  playlists: Record<string, PlaylistFigures>;
  blend: Array<{ members: number; groups: number; policies: Record<string, BlendFigures> }>;
}

/** The evaluated playlists and their baselines, in the order the charts show them. */
const policyWords: Record<string, string> = {
  discover: "discover",
  mix: "mix",
  popularity: "most popular",
  popularNew: "most popular new",
  ownTop: "own top plays",
};
const metricWords = {
  hitRate: "hit rate",
  ndcg: "NDCG",
  newHits: "new hits per track",
  familiarShare: "familiar share",
} as const;

/** The latest `tastebud eval --playlists`: playlists and Blends against their baselines on next week's plays. */
export function PlaylistEvidence() {
  const [records] = useAsync(() => api.evaluations("playlists"), []);
  return html`<${Show} value=${records} body=${(e: { evaluations: EvaluationRecord[] }) =>
    e.evaluations[0]
      ? html`<${Evidence} record=${e.evaluations[0]} />`
      : html`<p class="muted">No playlist evaluation on this store yet: <code>tastebud eval --playlists --store …</code> keeps one (add <code>--truth</code> on a simulated world).</p>`} />`;
}

function Evidence({ record }: { record: EvaluationRecord }) {
  const r = record.report as PlaylistsReport;
  const policies = Object.keys(policyWords).filter((p) => r.playlists[p]);
  const bars = policies.flatMap((policy) =>
    (Object.keys(metricWords) as Array<keyof typeof metricWords>).map((m) => ({
      policy: policyWords[policy],
      metric: metricWords[m],
      value: r.playlists[policy][m],
    })),
  );
  const ndcg = (p: string) => (r.playlists[p] ? fixed(r.playlists[p].ndcg) : "–");
  const blend = r.blend.flatMap((g) =>
    blendPolicies
      .filter((p) => g.policies[p])
      .flatMap((policy) =>
        (["heldOutMean", "heldOutWorst"] as const).map((m) => ({
          group: `${g.members} members`,
          policy,
          measure: m === "heldOutMean" ? "mean member" : "worst member",
          value: g.policies[policy][m],
        })),
      ),
  );
  const worst = (g: PlaylistsReport["blend"][number]) =>
    blendPolicies
      .filter((p) => g.policies[p])
      .map((p) => `${p} ${fixed(g.policies[p].heldOutWorst)}`)
      .join(", ");
  return html`<p class="muted">From <code>${record.command}</code>: ${r.length}-track playlists for ${r.split.users.toLocaleString("en-US")} listeners, scored on their ${r.split.heldOutLongPlays.toLocaleString("en-US")} held-out long plays (the next plays after the split).</p>
    <div class="grid">
      <div><${Chart}
        deps=${[record.id]}
        caption=${`Playlists against baselines on held-out long plays: NDCG discover ${ndcg("discover")} vs most popular new ${ndcg("popularNew")}; mix ${ndcg("mix")} vs most popular ${ndcg("popularity")} and own top plays ${ndcg("ownTop")}.`}
        draw=${(width: number) =>
          Plot.plot({
            width,
            height: 260,
            fx: { label: null },
            x: { axis: null },
            y: { label: "value", grid: true, domain: [0, 1] },
            color: { legend: true, domain: policies.map((p) => policyWords[p]), scheme: "tableau10" },
            marks: [
              Plot.barY(bars, { fx: "metric", x: "policy", y: "value", fill: "policy", tip: true }),
              Plot.ruleY([0]),
            ],
          })}
      /></div>
      ${
        blend.length > 0 &&
        html`<div><${Chart}
        deps=${[record.id, "blend"]}
        caption=${`Share of a Blend's tracks that a member played long in their held-out plays, for the mean and the worst-off member, by policy and group size: worst member ${r.blend.map((g) => `${g.members} members ${worst(g)}`).join("; ")}.`}
        draw=${(width: number) =>
          Plot.plot({
            width,
            height: 260,
            fx: { label: null },
            x: { axis: null },
            y: { label: "share of tracks played long", grid: true },
            color: { legend: true, domain: [...blendPolicies], range: ["#3b6fd8", "#9aa3b5", "#e08a1e"] },
            marks: [
              Plot.barY(blend, {
                fx: (d: (typeof blend)[number]) => `${d.group}, ${d.measure}`,
                x: "policy",
                y: "value",
                fill: "policy",
                tip: true,
              }),
              Plot.ruleY([0]),
            ],
          })}
      /></div>`
      }
    </div>`;
}
