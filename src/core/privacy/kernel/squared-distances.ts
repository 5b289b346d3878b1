import { squaredDistancesWasmBytes } from "./squared-distances-wasm-bytes.generated.js";

const PAGE = 65536;

let compiled: WebAssembly.Module | null | undefined;

function kernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = WebAssembly.validate(squaredDistancesWasmBytes)
        ? new WebAssembly.Module(squaredDistancesWasmBytes)
        : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/**
 * Squared Euclidean distances from rows to a fixed set of targets (squared-distances.wat, f32x4; a plain
 * loop where WebAssembly SIMD is missing). setTargets once, then distances(rows) per block: the result is
 * a view of count × targets floats, valid until the next call. One instance per thread.
 */
export class SquaredDistances {
  private readonly rowFloats: number;
  private memory: WebAssembly.Memory | null = null;
  private exports: { distances: (...args: number[]) => void } | null = null;
  private targets = 0;
  private targetVectors: Float32Array = new Float32Array(0);
  private capacityRows = 0;
  private out: Float32Array = new Float32Array(0);

  constructor(
    readonly dimensions: number,
    useWasm = true,
  ) {
    this.rowFloats = Math.ceil(dimensions / 4) * 4;
    const module = useWasm ? kernelModule() : null;
    if (module) {
      this.memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
      this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } })
        .exports as unknown as { distances: (...args: number[]) => void };
    }
  }

  get usesWasm(): boolean {
    return this.exports !== null;
  }

  /** The p target rows (p × dimensions, row-major). */
  setTargets(vectors: Float32Array, p: number): void {
    this.targets = p;
    this.targetVectors = vectors.subarray(0, p * this.dimensions);
    this.capacityRows = 0;
    if (this.memory) this.reserve(1);
  }

  /** ‖rows[i] − target[l]‖² at out[i · targets + l] for the count rows starting at row `from` of rows. */
  distances(rows: Float32Array, from: number, count: number): Float32Array {
    const d = this.dimensions;
    const p = this.targets;
    if (!this.memory || !this.exports) {
      if (this.out.length < count * p) this.out = new Float32Array(count * p);
      const t = this.targetVectors;
      for (let i = 0; i < count; i++) {
        const a = (from + i) * d;
        for (let l = 0; l < p; l++) {
          let s = 0;
          for (let j = 0; j < d; j++) {
            const diff = Math.fround(rows[a + j] - t[l * d + j]);
            s = Math.fround(s + Math.fround(diff * diff));
          }
          this.out[i * p + l] = s;
        }
      }
      return this.out.subarray(0, count * p);
    }
    this.reserve(count);
    const rf = this.rowFloats;
    const heap = new Float32Array(this.memory.buffer);
    const rowsAt = p * rf;
    for (let i = 0; i < count; i++)
      heap.set(rows.subarray((from + i) * d, (from + i + 1) * d), rowsAt + i * rf);
    const outAt = rowsAt + this.capacityRows * rf;
    this.exports.distances(rowsAt * 4, count, 0, p, rf * 4, outAt * 4);
    return heap.subarray(outAt, outAt + count * p);
  }

  /** Memory for the targets, `rows` query rows and their results; targets copied in on growth. */
  private reserve(rows: number): void {
    if (!this.memory || rows <= this.capacityRows) return;
    const rf = this.rowFloats;
    const p = this.targets;
    const capacity = Math.max(rows, 64);
    const bytes = 4 * (p * rf + capacity * rf + capacity * p);
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    const heap = new Float32Array(this.memory.buffer);
    const d = this.dimensions;
    heap.fill(0, 0, (p + capacity) * rf);
    for (let l = 0; l < p; l++) heap.set(this.targetVectors.subarray(l * d, (l + 1) * d), l * rf);
    this.capacityRows = capacity;
  }
}
