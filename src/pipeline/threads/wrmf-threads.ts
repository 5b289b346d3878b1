import type { FactorModel } from "../../core/affinity/factor-model.js";
import type { PairwiseSet } from "../../core/affinity/pairwise-set.js";
import {
  defaultWrmfOptions,
  gramMatrix,
  initWrmfFactors,
  type SideMatrix,
  trainWrmf,
  type WrmfOptions,
  wrmfSides,
} from "../../core/affinity/wrmf.js";
import { resolveThreads } from "../../threads/index.js";
import { ThreadWorker } from "./workers.js";

export interface WrmfWorkerData {
  /** User and item factors, on SharedArrayBuffers. */
  X: Float32Array;
  Y: Float32Array;
  byUser: SideMatrix;
  byItem: SideMatrix;
  /** YᵀY + λI of the side being solved, written by the main thread before each solve. */
  gram: Float64Array;
  factors: number;
  cgSteps: number;
}

export interface WrmfSolve {
  side: "users" | "items";
  from: number;
  to: number;
}

/**
 * WRMF (ALS with conjugate gradient, see trainWrmf) with each side's rows split across worker threads:
 * rows of a side are solved independently given the other side, so the result is the one-thread result,
 * bit for bit. The Gram matrix of each side is computed here, between the solves. `threads`: 0 or
 * undefined = every core, 1 = trainWrmf on this thread.
 */
export async function trainWrmfThreaded(
  set: PairwiseSet,
  options: Partial<WrmfOptions> & { threads?: number } = {},
): Promise<FactorModel> {
  const o: WrmfOptions = { ...defaultWrmfOptions, ...options };
  const threads = Math.min(resolveThreads(options.threads), Math.max(1, set.nUsers));
  if (threads <= 1) return trainWrmf(set, o);
  const k = o.factors;
  const model = initWrmfFactors(set, o);
  const sides = wrmfSides(set, o.alpha);
  const data: WrmfWorkerData = {
    X: shared(model.userFactors),
    Y: shared(model.itemFactors),
    byUser: shareSide(sides.byUser),
    byItem: shareSide(sides.byItem),
    gram: new Float64Array(new SharedArrayBuffer(8 * k * k)),
    factors: k,
    cgSteps: o.cgSteps,
  };
  const parts = {
    users: splitRows(data.byUser, threads, k, o.cgSteps),
    items: splitRows(data.byItem, threads, k, o.cgSteps),
  };
  const workers = Array.from({ length: threads }, () => new ThreadWorker("wrmf-worker", data));
  try {
    const solve = async (side: "users" | "items") => {
      gramMatrix(side === "users" ? data.Y : data.X, k, o.regularization, data.gram);
      const bounds = parts[side];
      await Promise.all(workers.map((w, t) => w.run({ side, from: bounds[t], to: bounds[t + 1] })));
    };
    for (let it = 0; it < o.iterations; it++) {
      await solve("users");
      await solve("items");
      o.onIteration?.(it + 1, o.iterations);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  model.userFactors.set(data.X);
  model.itemFactors.set(data.Y);
  return model;
}

function shared<T extends Float32Array | Int32Array | Uint8Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}

function shareSide(m: SideMatrix): SideMatrix {
  return {
    rowPtr: shared(m.rowPtr),
    cols: shared(m.cols),
    confidence: shared(m.confidence),
    preference: shared(m.preference),
  };
}

/**
 * Row bounds giving each thread about the same work: a row's CG costs about k² per step for the Gram
 * product plus 2k per step for each of its cells.
 */
export function splitRows(m: SideMatrix, threads: number, k: number, cgSteps: number): number[] {
  const nRows = m.rowPtr.length - 1;
  const cost = (row: number) => (cgSteps + 1) * (k * k + 2 * k * (m.rowPtr[row + 1] - m.rowPtr[row]));
  let total = 0;
  for (let row = 0; row < nRows; row++) total += cost(row);
  const bounds = [0];
  let acc = 0;
  for (let row = 0; row < nRows && bounds.length < threads; row++) {
    acc += cost(row);
    if (acc >= (total * bounds.length) / threads) bounds.push(row + 1);
  }
  while (bounds.length < threads) bounds.push(nRows);
  bounds.push(nRows);
  return bounds;
}
