import type { BprOptions } from "../bpr.js";
import type { FactorModel } from "../factor-model.js";
import type { PairwiseSet } from "../pairwise-set.js";
import { bprWasmBytes } from "./bpr-wasm-bytes.generated.js";

/**
 * The WebAssembly side of BPR training (bpr.wat): where each table lives in the kernel's memory, copying
 * the set and the factors in and out, and running steps. The memory is shared (SharedArrayBuffer) so the
 * same layout serves one thread here and Hogwild workers in src/pipeline/threads.
 */

/** Bytes of one thread's context block (bpr.wat documents the fields). */
const CTX_BYTES = 128;
/** Samples drawn per buffer fill before their steps: enough to overlap the draws' cache misses. */
const DEFAULT_BATCH = 256;
const PAGE = 65536;
/** Bytes per sample in a thread's buffer (bpr.wat documents the entry). */
const BUFFER_ENTRY = 64;

export interface BprLayout {
  threads: number;
  factors: number;
  /** Floats per padded row: a multiple of 8, as the kernel's loops take two f32x4 at a time. */
  rowFloats: number;
  batch: number;
  /** log2 of the Bloom filter's 32-bit words. */
  bloomBits: number;
  /** Byte offsets in the memory (bpr.wat describes each table). */
  contexts: number;
  buffers: number;
  users: number;
  items: number;
  weight: number;
  posCells: number;
  negCells: number;
  bloom: number;
  P: number;
  Q: number;
  B: number;
  bytes: number;
}

export interface BprKernelInstance {
  /** Runs `samples` steps with the context at byte offset `ctx`. */
  train(ctx: number, samples: number): void;
  /** The kernel's e^x (exported to test its accuracy). */
  exp(x: number): number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD or shared memory is missing. */
export function bprWasmModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled =
        typeof SharedArrayBuffer === "function" && WebAssembly.validate(bprWasmBytes)
          ? new WebAssembly.Module(bprWasmBytes)
          : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

export function bprWasmAvailable(): boolean {
  return bprWasmModule() !== null;
}

export function instantiateBprKernel(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): BprKernelInstance {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as BprKernelInstance;
}

/** Where everything goes for a set, a factor count and a number of threads (each with a context and buffer). */
export function bprLayout(
  set: PairwiseSet,
  factors: number,
  threads = 1,
  batch = DEFAULT_BATCH,
  rowMultiple = 8,
): BprLayout {
  let at = 0;
  // 64-byte alignment keeps every table and padded row on cache-line boundaries it shares with nothing else.
  const take = (bytes: number) => {
    const start = at;
    at = Math.ceil((at + bytes) / 64) * 64;
    return start;
  };
  const rowFloats = Math.ceil(factors / rowMultiple) * rowMultiple;
  const n = set.items.length;
  // About 16 bits per cell: with two bits per key, 1 to 2% of the items outside a row pass the filter.
  const bloomBits = Math.min(24, Math.max(5, Math.ceil(Math.log2(Math.max(1, n / 2)))));
  const layout: BprLayout = {
    threads,
    factors,
    rowFloats,
    batch,
    bloomBits,
    contexts: take(CTX_BYTES * threads),
    buffers: take(BUFFER_ENTRY * batch * threads),
    users: take(16 * set.nUsers),
    // `items` is never last: the kernel may read one entry past the end of an empty N block.
    items: take(4 * n),
    // Read for (P, N) pairs only; without an N tier the kernel's harmless reads land in `items`.
    weight: set.negatives.length > 0 ? take(4 * n) : -1,
    posCells: take(12 * set.positives.length),
    negCells: take(12 * set.negatives.length),
    bloom: take(4 << bloomBits),
    P: take(4 * rowFloats * set.nUsers),
    Q: take(4 * rowFloats * set.nItems),
    B: take(4 * set.nItems),
    bytes: 0,
  };
  if (layout.weight < 0) layout.weight = layout.items;
  layout.bytes = take(64);
  return layout;
}

/** The hash of (user u, item j) the kernel's Bloom filter uses: its top bits pick the word (as bpr.wat). */
export function bloomHash(u: number, j: number): number {
  let h = (Math.imul(u, 0x9e3779b1) + j) | 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** The two bits of a hash's word that a key sets (as bpr.wat). */
export function bloomMask(hash: number): number {
  const bits = Math.imul(hash, 0xc2b2ae35);
  return (1 << (bits >>> 27)) | (1 << (bits >>> 22));
}

/** Whether the layout fits in a 32-bit WebAssembly memory. */
export function bprLayoutFits(layout: BprLayout): boolean {
  return layout.bytes <= 65536 * PAGE - PAGE;
}

export function createBprMemory(layout: BprLayout): WebAssembly.Memory {
  const pages = Math.ceil(layout.bytes / PAGE);
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * Copies the set and the starting factors in and writes one context per thread, thread t continuing the
 * sfc32 stream `rngStates[t]` (Random.state()).
 */
export function writeBprMemory(
  memory: WebAssembly.Memory,
  layout: BprLayout,
  set: PairwiseSet,
  model: FactorModel,
  o: Pick<BprOptions, "learningRate" | "regularization">,
  rngStates: ReadonlyArray<readonly number[]>,
): void {
  const buf = memory.buffer;
  const n = set.items.length;
  const users = new Int32Array(buf, layout.users, 4 * set.nUsers);
  for (let u = 0; u < set.nUsers; u++) {
    users[4 * u] = set.rowPtr[u];
    users[4 * u + 1] = set.pEnd[u];
    users[4 * u + 2] = set.rowPtr[u + 1];
  }
  new Int32Array(buf, layout.items, n).set(set.items);
  if (layout.weight !== layout.items) new Float32Array(buf, layout.weight, n).set(set.weight);
  // (user, item, weight) of each P and each N cell side by side: one look-up where three arrays took three.
  const cellsInt = new Int32Array(buf);
  const cellsFloat = new Float32Array(buf);
  for (const [cells, at] of [
    [set.positives, layout.posCells],
    [set.negatives, layout.negCells],
  ] as const) {
    for (let k = 0, w = at >> 2; k < cells.length; k++, w += 3) {
      const c = cells[k];
      cellsInt[w] = set.owner[c];
      cellsInt[w + 1] = set.items[c];
      cellsFloat[w + 2] = set.weight[c];
    }
  }
  const bloom = new Uint32Array(buf, layout.bloom, 1 << layout.bloomBits);
  const shift = 32 - layout.bloomBits;
  for (let u = 0; u < set.nUsers; u++) {
    for (let c = set.rowPtr[u]; c < set.rowPtr[u + 1]; c++) {
      const h = bloomHash(u, set.items[c]);
      bloom[h >>> shift] |= bloomMask(h);
    }
  }
  copyRows(model.userFactors, new Float32Array(buf, layout.P, layout.rowFloats * set.nUsers), layout, true);
  copyRows(model.itemFactors, new Float32Array(buf, layout.Q, layout.rowFloats * set.nItems), layout, true);
  new Float32Array(buf, layout.B, set.nItems).set(model.itemBias);
  const view = new DataView(buf);
  for (let t = 0; t < layout.threads; t++) {
    const c = layout.contexts + t * CTX_BYTES;
    const words = [
      layout.P,
      layout.Q,
      layout.B,
      layout.rowFloats * 4,
      layout.users,
      layout.items,
      layout.weight,
      layout.posCells,
      set.positives.length,
      layout.negCells,
      set.negatives.length,
      set.nItems,
      layout.buffers + t * BUFFER_ENTRY * layout.batch,
      layout.batch,
      layout.bloom,
      32 - layout.bloomBits,
    ];
    for (let w = 0; w < words.length; w++) view.setInt32(c + 4 * w, words[w], true);
    view.setFloat32(c + 64, Math.fround(o.learningRate * o.regularization), true);
    view.setFloat64(c + 72, o.learningRate, true);
    for (let w = 0; w < 4; w++) view.setUint32(c + 80 + 4 * w, rngStates[t][w], true);
  }
}

/** Byte offset of thread t's context. */
export function bprContext(layout: BprLayout, thread: number): number {
  return layout.contexts + thread * CTX_BYTES;
}

/** Copies the trained factors and biases back into the model's unpadded arrays. */
export function readBprFactors(memory: WebAssembly.Memory, layout: BprLayout, model: FactorModel): void {
  const buf = memory.buffer;
  copyRows(
    model.userFactors,
    new Float32Array(buf, layout.P, layout.rowFloats * model.nUsers),
    layout,
    false,
  );
  copyRows(
    model.itemFactors,
    new Float32Array(buf, layout.Q, layout.rowFloats * model.nItems),
    layout,
    false,
  );
  model.itemBias.set(new Float32Array(buf, layout.B, model.nItems));
}

function copyRows(dense: Float32Array, padded: Float32Array, layout: BprLayout, toPadded: boolean): void {
  const k = layout.factors;
  const r = layout.rowFloats;
  const rows = dense.length / k;
  for (let row = 0; row < rows; row++) {
    if (toPadded) padded.set(dense.subarray(row * k, row * k + k), row * r);
    else dense.set(padded.subarray(row * r, row * r + k), row * k);
  }
}

/**
 * Trains `model` in place on one thread from the stream `rngState`: the reference loop's samples, in its
 * order, with float32 SIMD steps. Falls back to nothing: callers check bprWasmAvailable() first.
 */
export function trainBprWasm(
  set: PairwiseSet,
  model: FactorModel,
  rngState: readonly number[],
  o: BprOptions,
): FactorModel {
  const module = bprWasmModule();
  if (!module) throw new Error("the wasm BPR kernel needs WebAssembly SIMD and SharedArrayBuffer");
  const layout = bprLayout(set, o.factors);
  if (!bprLayoutFits(layout)) throw new Error("the training set is too large for a 32-bit wasm memory");
  const memory = createBprMemory(layout);
  writeBprMemory(memory, layout, set, model, o, [rngState]);
  const kernel = instantiateBprKernel(module, memory);
  const samples = o.samplesPerEpoch ?? set.items.length;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    kernel.train(bprContext(layout, 0), samples);
    const factors = () => {
      readBprFactors(memory, layout, model);
      return model;
    };
    if (o.onEpoch?.(epoch + 1, o.epochs, factors) === false) break;
  }
  readBprFactors(memory, layout, model);
  return model;
}
