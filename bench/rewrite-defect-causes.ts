/**
 * Where the rewrite simulator's held-out defects are (issue 19: the table lowers defects by 8-14%, the paper
 * reports over 30%): every defective turn of the held-out days of the world without rewriting, by the
 * simulator's first failing stage, grouped as what no rewrite of the words can fix (a false wake, the result:
 * unavailable, no screen, an error, the wrong version), random noise of a stage (a rewrite cannot make it
 * recur or not), and what a rewrite can fix (systematic ASR errors, ambiguous or unknown requests, another
 * item with the same title, a name not found); and whether the mined table (the one `eval --rewrites`
 * serves: days 0-13, the gates' z 0 as chosen there) has a rule for the turn's words.
 *   npx tsx bench/rewrite-defect-causes.ts [--seeds 1-3]
 * Prints one JSON object; under a minute per seed on an idle core.
 */
import { normalizeText } from "../src/core/matching/normalize.js";
import { mineRewrites } from "../src/core/rewriting/mine.js";
import { simulateVoice } from "../src/core/simulate/voice/index.js";
import { turnFromEvent } from "../src/core/voice/turn.js";

const DAY_MS = 86_400_000;
const groups: Record<string, string> = {
  "false-wake": "not in the words",
  "result-unavailable": "not in the words",
  "result-no-screen": "not in the words",
  "result-error": "not in the words",
  "result-wrong-version": "not in the words",
  "asr-random": "random noise",
  "er-noise": "random noise",
  "nlu-noise": "random noise",
  "asr-systematic": "a rewrite can fix",
  "nlu-ambiguous": "a rewrite can fix",
  "nlu-unknown": "a rewrite can fix",
  "er-same-title": "a rewrite can fix",
  "er-not-found": "a rewrite can fix",
  "er-wrong-match": "a rewrite can fix",
};

export function defectCauses(seed: number) {
  const control = simulateVoice({ seed, users: 300, days: 28, items: 1500 });
  const split = Date.parse(control.startDate) + 14 * DAY_MS;
  const turns = control.requests.map(turnFromEvent);
  const trainTurns = turns.filter((t) => t.timeMs < split);
  const byId = new Map(control.catalogue.map((c) => [c.id, c]));
  const { table } = mineRewrites(trainTurns, {
    plays: control.plays.filter((p) => Date.parse(p.endTime) < split),
    table: { gateZ: 0 },
    entities: (id) => byId.get(id),
  });
  let heldOut = 0;
  let defects = 0;
  const byCause: Record<string, { defects: number; withRule: number }> = {};
  const byGroup: Record<string, { defects: number; withRule: number }> = {};
  control.requests.forEach((r, i) => {
    if (Date.parse(r.time) < split) return;
    heldOut++;
    const truth = control.truth[i];
    if (!truth.defective) return;
    defects++;
    const cause = truth.cause ?? "unknown";
    const ruled = table.decide(normalizeText(turns[i].text)) !== undefined ? 1 : 0;
    for (const [map, key] of [
      [byCause, cause],
      [byGroup, groups[cause] ?? "other"],
    ] as const) {
      map[key] ??= { defects: 0, withRule: 0 };
      map[key].defects++;
      map[key].withRule += ruled;
    }
  });
  const share = (m: typeof byCause) =>
    Object.fromEntries(
      Object.entries(m).map(([k, v]) => [
        k,
        { share: v.defects / defects, withRuleShare: v.withRule / defects, ...v },
      ]),
    );
  return {
    seed,
    heldOutTurns: heldOut,
    defects,
    defectRate: defects / heldOut,
    byGroup: share(byGroup),
    byCause: share(byCause),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const spec = args.includes("--seeds") ? args[args.indexOf("--seeds") + 1] : "1-3";
  const [a, b] = spec.split("-").map(Number);
  const seeds = Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
  console.log(JSON.stringify({ bench: "rewrite-defect-causes", seeds: seeds.map(defectCauses) }, null, 2));
}
