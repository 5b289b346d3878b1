/**
 * The self-learning loop of `tastebud eval --rewrites` over several simulator seeds, one row per seed
 * (the README's table): the gated Markov table, the same table applied to everyone, and the online layers.
 *   npx tsx bench/rewrite-seeds.ts [--seeds 1-8] [--users 300] [--min-path-users 2] [--min-defect-rate 0.5]
 * Prints one JSON object; about a minute per seed on an idle core.
 */
import { evaluateRewrites } from "../src/core/evaluation/rewrites.js";

function parseSeeds(spec: string): number[] {
  const [a, b] = spec.split("-").map(Number);
  if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b)))
    throw new Error(`--seeds: expected N or A-B, got ${spec}`);
  return Array.from({ length: (b ?? a) - a + 1 }, (_, k) => a + k);
}

export function rewriteSeedsBench(
  seeds: number[],
  users = 300,
  guardrails: { minPathUsers?: number; minDefectRate?: number } = {},
) {
  const rows = seeds.map((seed) => {
    const r = evaluateRewrites({ seed, users, ...guardrails });
    const row = {
      seed,
      defectRateWithout: r.markov.defectRateWithout,
      markov: {
        rules: r.markov.rules,
        gateZ: r.validation.gateZ,
        defectChange: r.markov.defectChange,
        wins: r.markov.wins,
        losses: r.markov.losses,
        winLossRatio: r.markov.winLossRatio,
      },
      markovUngated: {
        defectChange: r.markovUngated.defectChange,
        wins: r.markovUngated.wins,
        losses: r.markovUngated.losses,
        winLossRatio: r.markovUngated.winLossRatio,
      },
      sameEntity: { ungated: r.meaning.ungated, gated: r.meaning.gated },
      online: {
        global: r.online.global.defectChange,
        globalPersonal: r.online.globalPersonal.defectChange,
        globalPersonalWinLoss: r.online.globalPersonal.winLossRatio,
      },
      selfAware: { withdrawn: r.selfAware.withdrawn.length, beforeDrift: r.selfAware.withdrawnBeforeDrift },
    };
    // One line per seed as it finishes: a long run shows progress and keeps what it measured.
    process.stderr.write(`${JSON.stringify(row)}\n`);
    return row;
  });
  return { bench: "rewrite-seeds", users, guardrails, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const optional = (name: string) => (arg(name) !== undefined ? Number(arg(name)) : undefined);
  const result = rewriteSeedsBench(parseSeeds(arg("--seeds") ?? "1-6"), Number(arg("--users") ?? 300), {
    minPathUsers: optional("--min-path-users"),
    minDefectRate: optional("--min-defect-rate"),
  });
  console.log(JSON.stringify(result, null, 2));
}
