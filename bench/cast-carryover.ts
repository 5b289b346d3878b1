/**
 * Dialogue carryover against TREC CAsT's manual rewrites (the shared 2019 and 2020 sample), per year: token
 * F1, exact match and the share of turns whose missing entity is recovered, for the raw utterance,
 * last-entity substitution and `carryOver` (src/core/rewriting/carryover.ts).
 *   npx tsx bench/cast-carryover.ts [--data path/to/rewrites.tsv]
 */
import { readFileSync } from "node:fs";
import { evaluateCarryover, parseCastRows } from "../src/core/evaluation/carryover.js";

export const defaultCastPath = new URL(
  "../../shared/data/trec-cast-query-rewrites/rewrites.tsv",
  import.meta.url,
).pathname;

export function castCarryoverBench(path = defaultCastPath) {
  const rows = parseCastRows(readFileSync(path, "utf8"));
  const years = [...new Set(rows.map((r) => r.year))].sort();
  return {
    bench: "cast-carryover",
    data: path,
    years: Object.fromEntries(years.map((y) => [y, evaluateCarryover(rows.filter((r) => r.year === y))])),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const data = args.includes("--data") ? args[args.indexOf("--data") + 1] : defaultCastPath;
  console.log(JSON.stringify(castCarryoverBench(data), null, 2));
}
