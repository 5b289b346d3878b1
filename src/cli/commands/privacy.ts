import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { DeniabilitySummary } from "../../core/privacy/deniability.js";
import { mechanismNames } from "../../core/privacy/mechanisms.js";
import { type OutOfVocabularyPolicy, outOfVocabularyPolicies, perturbText } from "../../core/privacy/text.js";
import { Random } from "../../core/random.js";
import { nearestWordSearches, PrivacyTable } from "../../services/privacy.js";
import { deniabilityGrid, intentEvaluation, loadIntentSplit } from "../../services/privacy-eval.js";
import { UsageError } from "../errors.js";
import { number } from "../options.js";
import { deniabilitySvg, tradeOffSvg } from "../plot.js";
import { Progress } from "../progress.js";
import { withEngine } from "../run.js";
import { commandLine } from "./eval.js";

function epsilonList(flag: string) {
  return (raw: string): number[] => {
    // "none" runs no cell of that mechanism (e.g. Laplace only, to compare its nearest-word searches).
    if (raw === "none") return [];
    const xs = raw.split(",").map(Number);
    if (xs.some((x) => !(x > 0)))
      throw new UsageError(`${flag} expects positive numbers separated by commas, got "${raw}"`);
    return xs;
  };
}

/** Quantiles of counts interpolate (S_w p90 = 29.4): one decimal is all they mean. */
const round1 = (x: number) => Math.round(x * 10) / 10;

function oneOf<T extends string>(flag: string, allowed: readonly T[], raw: string): T {
  if (!allowed.includes(raw as T))
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got "${raw}"`);
  return raw as T;
}

async function openTable(path: string | undefined, progress: Progress): Promise<PrivacyTable> {
  progress.update("load embeddings", 0, 1);
  const pt = await PrivacyTable.open(path);
  progress.update("load embeddings", 1, 1);
  return pt;
}

/** Gumbel's default grid: multiples of the smallest ε the table admits, which depends on its Δ_min. */
function gumbelDefaults(pt: PrivacyTable): number[] {
  const minEpsilon = (5 + 2 * Math.log(pt.table.size)) / pt.neighbourhoods.deltaMin;
  return [1.05, 1.5, 3, 10].map((f) => Math.round(minEpsilon * f * 10) / 10);
}

/** `tastebud privacy perturb|stats|eval`: differentially private word perturbation (methods.md section 7). */
export function privacyCommand(program: Command): void {
  const privacy = program
    .command("privacy")
    .description(
      "differentially private rewriting of request text: perturb, plausible-deniability statistics, utility on an intent task",
    );
  const tableHelp = "GloVe or word2vec text file, optionally .gz (default: the shipped GloVe 50-d 10k table)";

  privacy
    .command("perturb")
    .description("perturb texts (arguments, or lines on stdin) word by word")
    .argument("[texts...]", "texts to perturb")
    .requiredOption("--epsilon <e>", "privacy parameter", number("epsilon"))
    .option("--mechanism <name>", mechanismNames.join(" or "), "gumbel")
    .option("--oov <policy>", `words outside the table: ${outOfVocabularyPolicies.join(", ")}`, "placeholder")
    .option("--table <path>", tableHelp)
    .option("--seed <n>", "seed of the draws", number("seed"), 1)
    .option("--json", "print JSON lines")
    .action(async (texts: string[], opts) => {
      const mechanismName = oneOf("--mechanism", mechanismNames, opts.mechanism);
      const oov = oneOf("--oov", outOfVocabularyPolicies, opts.oov);
      const pt = await PrivacyTable.open(opts.table);
      const mechanism = pt.mechanism(mechanismName, opts.epsilon);
      const rng = new Random(opts.seed);
      const emit = (text: string) => {
        const out = perturbText(text, pt.table, mechanism, rng, oov);
        if (opts.json)
          console.log(
            JSON.stringify({
              text: out.text,
              perturbed: out.perturbed,
              changed: out.changed,
              outOfVocabulary: out.outOfVocabulary,
              spentEpsilon: out.perturbed * opts.epsilon,
            }),
          );
        else console.log(out.text);
      };
      if (texts.length) for (const t of texts) emit(t);
      else for await (const line of createInterface({ input: process.stdin })) if (line.trim()) emit(line);
    });

  privacy
    .command("stats")
    .description(
      "plausible deniability per ε: N_w (draws keeping the word) and S_w (distinct outputs) over a vocabulary sample",
    )
    .option(
      "--laplace <eps>",
      "ε grid of multivariate Laplace",
      epsilonList("--laplace"),
      [2, 4, 6, 8, 10, 15, 20],
    )
    .option(
      "--gumbel <eps>",
      "ε grid of truncated Gumbel (default: 1.05, 1.5, 3 and 10 × the smallest ε the table admits)",
      epsilonList("--gumbel"),
    )
    .option("--words <n>", "vocabulary sample size", number("words"), 300)
    .option("--draws <n>", "draws per word (the papers use 1000)", number("draws"), 200)
    .option("--table <path>", tableHelp)
    .option("--seed <n>", "seed", number("seed"), 1)
    .option("--plot <svg>", "write an SVG plot of median N_w against ε")
    .option(
      "--store <path>",
      "also keep the result beside this store's models, for the dashboard's Privacy page",
    )
    .option("--json", "print JSON")
    .action(async (opts) => {
      const progress = new Progress(!opts.json);
      const pt = await openTable(opts.table, progress);
      const gumbel: number[] = opts.gumbel ?? gumbelDefaults(pt);
      const rows = deniabilityGrid(
        pt,
        [
          { mechanism: "laplace", epsilons: opts.laplace },
          { mechanism: "gumbel", epsilons: gumbel },
        ],
        {
          words: opts.words,
          draws: opts.draws,
          seed: opts.seed,
          onStep: (d, t) => progress.update("deniability", d, t),
        },
      );
      progress.stop();
      const table = {
        words: pt.table.size,
        dimensions: pt.table.dimensions,
        deltaMin: pt.neighbourhoods.deltaMin,
        deltaMax: pt.neighbourhoods.deltaMax,
        exactNeighbourhoods: pt.neighbourhoods.exact,
      };
      const ok = rows.filter((r): r is DeniabilitySummary => "unchanged" in r);
      if (opts.plot) {
        writeFileSync(
          opts.plot,
          deniabilitySvg(
            ok,
            `Plausible deniability, ${pt.table.size} words × ${pt.table.dimensions}-d, ${opts.draws} draws × ${opts.words} words`,
          ),
        );
      }
      if (opts.store) {
        const setup = { words: opts.words, draws: opts.draws, seed: opts.seed };
        await withEngine({ store: opts.store }, async (engine) => {
          engine.insights.recordEvaluation("deniability", commandLine(), { table, setup, rows });
        });
      }
      if (opts.json) {
        console.log(JSON.stringify({ table, rows }));
        return;
      }
      console.log(
        `table: ${table.words} words × ${table.dimensions}-d, Δ_min ${table.deltaMin.toFixed(4)}, Δ_max ${table.deltaMax.toFixed(3)}`,
      );
      console.log("mechanism  ε        median N_w  p10–p90 N_w    median S_w  p10–p90 S_w");
      for (const r of rows) {
        if (!("unchanged" in r)) {
          console.log(`${r.mechanism.padEnd(10)} ${String(r.epsilon).padEnd(8)} ${r.error}`);
          continue;
        }
        console.log(
          `${r.mechanism.padEnd(10)} ${String(r.epsilon).padEnd(8)} ${r.unchanged.median.toFixed(3).padEnd(11)} ${`${r.unchanged.p10.toFixed(2)}–${r.unchanged.p90.toFixed(2)}`.padEnd(14)} ${String(round1(r.distinct.median)).padEnd(11)} ${round1(r.distinct.p10)}–${round1(r.distinct.p90)}`,
        );
      }
      if (opts.plot) console.log(`plot: ${opts.plot}`);
    });

  privacy
    .command("eval")
    .description(
      "utility: intent accuracy of a classifier trained and tested on perturbed text, and how many slot values survive",
    )
    .requiredOption(
      "--texts <path>",
      "folder with train.jsonl[.gz] and test.jsonl[.gz] (SNIPS layout) or one JSON-lines file of {text, intent} (split 80/20)",
    )
    .option("--laplace <eps>", "ε grid of multivariate Laplace", epsilonList("--laplace"), [4, 6, 8, 10, 15])
    .option(
      "--gumbel <eps>",
      "ε grid of truncated Gumbel (default: 1.05, 1.5, 3, 10 × the smallest admissible ε)",
      epsilonList("--gumbel"),
    )
    .option("--seeds <n>", "seeds per cell (perturbation draws and classifier init)", number("seeds"), 3)
    .option(
      "--train-limit <n>",
      "training examples sampled (keeps the grid quick)",
      number("train-limit"),
      3000,
    )
    .option("--epochs <n>", "classifier epochs (fixed, not tuned)", number("epochs"), 200)
    .option("--oov <policy>", `words outside the table: ${outOfVocabularyPolicies.join(", ")}`, "placeholder")
    .option(
      "--search <kind>",
      "Laplace's nearest word: indexed (the HNSW index privacy mode serves) or exact (a scan of the table)",
      "indexed",
    )
    .option("--table <path>", tableHelp)
    .option("--plot <svg>", "write an SVG plot of intent accuracy against median N_w per mechanism")
    .option(
      "--store <path>",
      "also keep the result beside this store's models, for the dashboard's Privacy page",
    )
    .option("--json", "print JSON")
    .action(async (opts) => {
      const oov: OutOfVocabularyPolicy = oneOf("--oov", outOfVocabularyPolicies, opts.oov);
      const search = oneOf("--search", nearestWordSearches, opts.search);
      const progress = new Progress(!opts.json);
      const pt = await openTable(opts.table, progress);
      const data = loadIntentSplit(opts.texts, opts.trainLimit, 1);
      const gumbel: number[] = opts.gumbel ?? gumbelDefaults(pt);
      const total = 1 + opts.laplace.length + 3 * gumbel.length;
      let step = 0;
      const cells = intentEvaluation(pt, data, {
        laplace: opts.laplace,
        gumbel,
        seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
        oov,
        epochs: opts.epochs,
        search,
        onStep: () => progress.update("eval cells", step++, total),
      });
      progress.stop();
      const summary = {
        train: data.train.length,
        test: data.test.length,
        seeds: opts.seeds,
        oov,
        search,
        // Per-seed accuracies too: two runs that differ only in --search share their seeds' draws, so they pair.
        cells: cells.map(({ runs, ...c }) => ({ ...c, seedAccuracies: runs.map((r) => r.accuracy) })),
      };
      if (opts.plot)
        writeFileSync(
          opts.plot,
          tradeOffSvg(
            summary.cells,
            `Intent accuracy against plausible deniability (train ${summary.train}, test ${summary.test}, ${opts.seeds} seeds)`,
          ),
        );
      if (opts.store)
        await withEngine({ store: opts.store }, async (engine) => {
          engine.insights.recordEvaluation("privacy-utility", commandLine(), {
            ...summary,
            table: { words: pt.table.size, dimensions: pt.table.dimensions },
          });
        });
      if (opts.json) {
        console.log(JSON.stringify(summary));
        return;
      }
      console.log(
        `train ${summary.train}, test ${summary.test}, ${opts.seeds} seeds (mean [min, max]), out-of-vocabulary: ${oov}, Laplace's nearest word: ${search}`,
      );
      console.log(
        "mechanism  ε          matched to                                 median N_w  accuracy               slot values kept",
      );
      const fmt = (s: { mean: number; min: number; max: number } | null) =>
        s ? `${s.mean.toFixed(3)} [${s.min.toFixed(3)}, ${s.max.toFixed(3)}]` : "-";
      for (const c of cells) {
        console.log(
          `${c.mechanism.padEnd(10)} ${String(c.epsilon ?? "-").padEnd(10)} ${c.matchedTo.padEnd(42)} ${(c.medianUnchanged === null ? "-" : c.medianUnchanged.toFixed(3)).padEnd(11)} ${fmt(c.accuracy).padEnd(22)} ${fmt(c.slotSurvival)}`,
        );
      }
      if (opts.plot) console.log(`plot: ${opts.plot}`);
    });
}
