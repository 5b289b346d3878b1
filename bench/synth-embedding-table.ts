/**
 * Writes the synthetic 400,000-word × 50-dimension table the privacy bench times large-table opening on
 * (README, "A 400,000-word table"): no large real table can be downloaded here, so one of GloVe 400k 50-d's
 * shape and size. A mixture of 2,000 Gaussian clusters: centres N(0, 0.6²) per coordinate, each word's
 * cluster uniform, spread 0.4 per coordinate, 5 decimals, words `w0` … `w399999`, GloVe text format.
 *
 * The README's first figures came from a numpy script (seed 20) that is not in the repository; this one
 * draws the same distribution from tastebud's seeded Random (seed 20), so the file is the same shape and
 * reproducible here, but not the same numbers (its Δ_min and Δ_max differ from the numpy file's).
 *
 *   npx tsx bench/synth-embedding-table.ts synth-400k-50d.txt [words] [dimensions] [clusters]
 */
import { createWriteStream } from "node:fs";
import { Random } from "../src/core/random.js";

export async function writeSyntheticTable(
  path: string,
  words = 400_000,
  dimensions = 50,
  clusters = 2_000,
  seed = 20,
): Promise<void> {
  const rng = new Random(seed);
  const centres = new Float64Array(clusters * dimensions);
  for (let i = 0; i < centres.length; i++) centres[i] = 0.6 * rng.normal();
  const out = createWriteStream(path);
  const lines: string[] = [];
  for (let w = 0; w < words; w++) {
    const c = rng.int(clusters) * dimensions;
    const fields = [`w${w}`];
    for (let j = 0; j < dimensions; j++) fields.push((centres[c + j] + 0.4 * rng.normal()).toFixed(5));
    lines.push(fields.join(" "));
    if (lines.length === 10_000 || w === words - 1) {
      // Waits on backpressure so the whole file is never held in memory.
      if (!out.write(`${lines.join("\n")}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
      lines.length = 0;
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

if (process.argv[1]?.endsWith("synth-embedding-table.ts")) {
  const [path = "synth-400k-50d.txt", words, dimensions, clusters] = process.argv.slice(2);
  await writeSyntheticTable(
    path,
    words ? Number(words) : undefined,
    dimensions ? Number(dimensions) : undefined,
    clusters ? Number(clusters) : undefined,
  );
}
