import {
  type BprOptions,
  defaultBprKernel,
  defaultBprOptions,
  initBprFactors,
  trainBpr,
} from "../../core/affinity/bpr.js";
import type { FactorModel } from "../../core/affinity/factor-model.js";
import {
  bprContext,
  bprLayout,
  bprWasmModule,
  createBprMemory,
  readBprFactors,
  writeBprMemory,
} from "../../core/affinity/kernel/bpr-wasm.js";
import type { PairwiseSet } from "../../core/affinity/pairwise-set.js";
import { Random } from "../../core/random.js";
import { resolveThreads } from "../../threads/index.js";
import type { BprWorkerData } from "./bpr-worker.js";
import { ThreadWorker } from "./workers.js";

export interface ThreadedBprOptions extends Partial<BprOptions> {
  /** Threads to train on; 0 or undefined = every core (os.availableParallelism()), 1 = this thread. */
  threads?: number;
}

/**
 * BPR on several threads, Hogwild style (Recht et al. 2011): every worker runs the wasm kernel on the same
 * shared memory (factors, biases and the set), taking its share of each epoch's samples from its own random
 * stream, without locks. Updates touch three rows of thousands, so workers rarely collide, and a lost
 * update is noise SGD absorbs. Epochs end at a barrier, where onEpoch runs on this thread.
 *
 * Worker 0 continues the stream the initialisation left (so one worker takes the single-thread kernel's
 * samples) and the others start from seeds derived from the seed; the result is not deterministic, as the
 * order in which workers see each other's updates depends on timing. One thread (or no wasm) trains here.
 */
export async function trainBprThreaded(
  set: PairwiseSet,
  options: ThreadedBprOptions = {},
): Promise<FactorModel> {
  const o: BprOptions = { ...defaultBprOptions, ...options };
  const threads = resolveThreads(options.threads);
  const kernel = o.kernel ?? defaultBprKernel(set, o.factors);
  if (threads <= 1 || set.positives.length === 0) return trainBpr(set, { ...o, kernel });
  const module = bprWasmModule();
  if (kernel !== "wasm" || !module)
    throw new Error(
      "training on several threads needs the wasm kernel; the reference loop runs on one thread",
    );
  const { model, rng } = initBprFactors(set, o);
  const layout = bprLayout(set, o.factors, threads);
  const memory = createBprMemory(layout);
  const streams = [rng.state()];
  for (let t = 1; t < threads; t++) streams.push(new Random(workerSeed(o.seed, t)).state());
  writeBprMemory(memory, layout, set, model, o, streams);
  const workers = Array.from({ length: threads }, (_, t) => {
    const data: BprWorkerData = { module, memory, ctx: bprContext(layout, t) };
    return new ThreadWorker("bpr-worker", data);
  });
  try {
    const samples = o.samplesPerEpoch ?? set.items.length;
    const share = (t: number) => Math.floor(samples / threads) + (t < samples % threads ? 1 : 0);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      await Promise.all(workers.map((w, t) => w.run(share(t))));
      const factors = () => {
        readBprFactors(memory, layout, model);
        return model;
      };
      if (o.onEpoch?.(epoch + 1, o.epochs, factors) === false) break;
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  readBprFactors(memory, layout, model);
  return model;
}

/** A seed per extra worker, far from the seeds users pick (0, 1, 2, ...) so streams do not coincide. */
function workerSeed(seed: number, worker: number): number {
  return (seed + Math.imul(worker, 0x9e3779b9)) >>> 0;
}
