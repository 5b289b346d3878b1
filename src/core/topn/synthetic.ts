/**
 * Seeded random factor models for tests and benchmarks of top-N serving.
 */
import { createFactorModel, type FactorModel } from "../affinity/factor-model.js";
import { Random } from "../random.js";

export interface RandomModelOptions {
  /**
   * Number of taste clusters (default 0: isotropic Gaussian factors). With clusters, every item and user
   * is a cluster centre plus noise, like trained embeddings of genres/scenes; item norms also vary
   * (log-normal), as popularity does in trained models.
   */
  clusters?: number;
  /** Noise around the cluster centre relative to the centre's scale (default 0.5). */
  spread?: number;
  /** Standard deviation of the item biases (default 0.1). */
  biasScale?: number;
}

/** A model with N(0, 1/k) factors (so dot products are O(1)), or clustered factors as described above. */
export function randomFactorModel(
  nUsers: number,
  nItems: number,
  factors: number,
  seed: number,
  options: RandomModelOptions = {},
): FactorModel {
  const { clusters = 0, spread = 0.5, biasScale = 0.1 } = options;
  const rng = new Random(seed);
  const m = createFactorModel(nUsers, nItems, factors);
  const sd = 1 / Math.sqrt(factors);
  const centres = new Float64Array(clusters * factors);
  for (let j = 0; j < centres.length; j++) centres[j] = rng.normal() * sd;
  const fill = (out: Float32Array, rows: number, normSpread: number) => {
    for (let r = 0; r < rows; r++) {
      const row = r * factors;
      if (clusters === 0) {
        for (let f = 0; f < factors; f++) out[row + f] = rng.normal() * sd;
        continue;
      }
      const c = rng.int(clusters) * factors;
      const scale = Math.exp(normSpread * rng.normal());
      for (let f = 0; f < factors; f++) out[row + f] = scale * (centres[c + f] + spread * sd * rng.normal());
    }
  };
  fill(m.itemFactors, nItems, 0.3);
  fill(m.userFactors, nUsers, 0);
  for (let i = 0; i < nItems; i++) m.itemBias[i] = biasScale * rng.normal();
  return m;
}
