/**
 * Rewrite mining (methods.md 2a) on real people's reformulations: the shared AOL query log sample
 * (700 heavy users). Every row there had a click, so clicks separate nothing; a query followed by another
 * of the same user within the gap counts as defective and the last query of such a run as success.
 *   npx tsx bench/aol-rewrites.ts [--gap minutes] [--top N] [--data path/to/queries.tsv.gz]
 *                                 [--min-support n] [--min-path n] [--min-defect x] [--min-success x] [--min-gain x]
 *                                 [--no-meaning-check]
 * Prints one JSON object: data and chain counts, the guardrails used, timings, and every rule with the
 * meaning check's verdict: the rules kept (`top`) and the routes refused because they change what the
 * source asks for (`changedMeaning`: a rival shop is not a correction).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { buildRewriteTable } from "../src/core/rewriting/markov.js";
import { sameMeaning } from "../src/core/rewriting/meaning.js";
import type { RewriteTableOptions } from "../src/core/rewriting/rewrite-table.js";
import {
  labelByQuickFollowUp,
  reformulationChains,
  turnFromAolLine,
  type UnlabelledTurn,
} from "../src/core/rewriting/sessions.js";

export const defaultAolPath = new URL(
  "../../shared/data/aol-query-log-top-users/queries.tsv.gz",
  import.meta.url,
).pathname;

/** Five minutes: long enough to read a result page and search again, short of a new errand. */
export const defaultAolGapMinutes = 5;

/**
 * Guardrails for this sample. 700 users with mostly personal queries: a source is kept if 3 users issued
 * it and 2 went on to the same rewrite; the rewrite must end the search at least half the time and do
 * so 0.2 more often than the source. The source must be followed by another search at least 30% of the
 * time, about twice the base rate (16% of queries here): every row had a click, so even a misspelt
 * navigational query often "succeeds", and the voice default of 0.5 would keep only errands.
 */
export const aolGuardrails: Partial<RewriteTableOptions> = {
  minSupportUsers: 3,
  minPathUsers: 2,
  minDefectRate: 0.3,
  minRewriteSuccess: 0.5,
  minGain: 0.2,
};

export async function readAolTurns(path: string): Promise<{ rows: number; turns: UnlabelledTurn[] }> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  const turns: UnlabelledTurn[] = [];
  let rows = 0;
  for await (const line of lines) {
    const t = turnFromAolLine(line);
    if (t) {
      turns.push(t);
      rows++;
    }
  }
  return { rows, turns };
}

export async function aolRewritesBench(
  path = defaultAolPath,
  gapMinutes = defaultAolGapMinutes,
  guardrails: Partial<RewriteTableOptions> = aolGuardrails,
  top = 25,
  checkMeaning = true,
) {
  const t0 = performance.now();
  const { rows, turns } = await readAolTurns(path);
  const t1 = performance.now();
  const gapMs = gapMinutes * 60_000;
  const labelled = labelByQuickFollowUp(turns, gapMs);
  const chains = reformulationChains(labelled, { gapMs });
  const t2 = performance.now();
  const table = buildRewriteTable(chains, guardrails, checkMeaning ? sameMeaning : undefined);
  const t3 = performance.now();
  const multi = chains.filter((c) => c.steps.length > 1).length;
  return {
    bench: "aol-rewrites",
    data: path,
    rows,
    users: new Set(turns.map((t) => t.user)).size,
    gapMinutes,
    turnsAfterMergingRepeats: labelled.length,
    defectiveTurns: labelled.filter((t) => t.defective).length,
    defectiveShare: round(labelled.filter((t) => t.defective).length / labelled.length),
    chains: chains.length,
    chainsWithReformulation: multi,
    guardrails: {
      minSupportUsers: table.options.minSupportUsers,
      minPathUsers: table.options.minPathUsers,
      minDefectRate: table.options.minDefectRate,
      minFailureProbability: table.options.minFailureProbability,
      minRewriteSuccess: table.options.minRewriteSuccess,
      minGain: table.options.minGain,
      weighting: table.options.weighting,
    },
    stats: { ...table.stats, changedMeaning: undefined },
    ms: {
      read: Math.round(t1 - t0),
      labelAndChain: Math.round(t2 - t1),
      build: Math.round(t3 - t2),
    },
    top: table.rules.slice(0, top).map((r) => ({
      source: r.source,
      rewrite: r.rewrite,
      support: r.support,
      pathUsers: r.pathUsers,
      sourceDirectSuccess: round(r.sourceDirectSuccess),
      rewriteSuccess: round(r.rewriteSuccess),
      gain: round(r.gain),
      contribution: round(r.contribution),
      verdict: r.meaning ?? "not checked",
    })),
    changedMeaning: (table.stats.changedMeaning ?? []).map((c) => ({
      ...c,
      rewriteSuccess: round(c.rewriteSuccess),
      sourceDirectSuccess: round(c.sourceDirectSuccess),
    })),
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const num = (name: string, fallback: number | undefined) => {
    const v = arg(name);
    return v === undefined ? fallback : Number(v);
  };
  const guardrails: Partial<RewriteTableOptions> = {
    minSupportUsers: num("--min-support", aolGuardrails.minSupportUsers),
    minPathUsers: num("--min-path", aolGuardrails.minPathUsers),
    minDefectRate: num("--min-defect", aolGuardrails.minDefectRate),
    minRewriteSuccess: num("--min-success", aolGuardrails.minRewriteSuccess),
    minGain: num("--min-gain", aolGuardrails.minGain),
  };
  const result = await aolRewritesBench(
    arg("--data") ?? defaultAolPath,
    num("--gap", defaultAolGapMinutes),
    guardrails,
    num("--top", 25),
    !args.includes("--no-meaning-check"),
  );
  console.log(JSON.stringify(result, null, 2));
}
