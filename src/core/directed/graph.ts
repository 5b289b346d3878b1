/**
 * A directed, weighted graph over dense node indices 0..n-1, held twice in CSR form: by source (out-edges)
 * and by target (in-edges), because the directed model aggregates along both. Parallel edges are merged
 * (weights summed) and self-loops dropped: "A follows A" says nothing about direction.
 */
export interface DirectedGraph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  /** outOffsets[u]..outOffsets[u+1] index outTargets/outWeights: u's out-neighbours, ascending. */
  readonly outOffsets: Int32Array;
  readonly outTargets: Int32Array;
  readonly outWeights: Float32Array;
  /** inOffsets[v]..inOffsets[v+1] index inSources/inWeights: v's in-neighbours, ascending. */
  readonly inOffsets: Int32Array;
  readonly inSources: Int32Array;
  readonly inWeights: Float32Array;
}

/** Edges as parallel arrays (source[k] -> target[k] with weight[k]). */
export interface EdgeArrays {
  sources: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

export function buildDirectedGraph(nodeCount: number, edges: EdgeArrays): DirectedGraph {
  const { sources, targets, weights } = edges;
  const m = sources.length;
  // Sort edge indices by (source, target) so duplicates are adjacent and rows come out ascending.
  const order = new Int32Array(m);
  let kept = 0;
  for (let k = 0; k < m; k++) {
    const u = sources[k];
    const v = targets[k];
    if (!(u >= 0 && u < nodeCount && v >= 0 && v < nodeCount))
      throw new RangeError(`edge ${k}: node index out of range 0..${nodeCount - 1}`);
    if (u !== v) order[kept++] = k;
  }
  const sorted = Array.from(order.subarray(0, kept)).sort(
    (a, b) => sources[a] - sources[b] || targets[a] - targets[b],
  );
  const outSrc: number[] = [];
  const outDst: number[] = [];
  const outW: number[] = [];
  for (const k of sorted) {
    const last = outSrc.length - 1;
    if (last >= 0 && outSrc[last] === sources[k] && outDst[last] === targets[k]) outW[last] += weights[k];
    else {
      outSrc.push(sources[k]);
      outDst.push(targets[k]);
      outW.push(weights[k]);
    }
  }
  const e = outSrc.length;
  const outOffsets = new Int32Array(nodeCount + 1);
  const inOffsets = new Int32Array(nodeCount + 1);
  for (let k = 0; k < e; k++) {
    outOffsets[outSrc[k] + 1]++;
    inOffsets[outDst[k] + 1]++;
  }
  for (let u = 0; u < nodeCount; u++) {
    outOffsets[u + 1] += outOffsets[u];
    inOffsets[u + 1] += inOffsets[u];
  }
  const outTargets = Int32Array.from(outDst);
  const outWeights = Float32Array.from(outW);
  const inSources = new Int32Array(e);
  const inWeights = new Float32Array(e);
  const fill = inOffsets.slice(0, nodeCount);
  // Edges are visited in ascending source order, so every in-row comes out ascending too.
  for (let k = 0; k < e; k++) {
    const slot = fill[outDst[k]]++;
    inSources[slot] = outSrc[k];
    inWeights[slot] = outW[k];
  }
  return { nodeCount, edgeCount: e, outOffsets, outTargets, outWeights, inOffsets, inSources, inWeights };
}

export function outDegree(g: DirectedGraph, u: number): number {
  return g.outOffsets[u + 1] - g.outOffsets[u];
}

export function inDegree(g: DirectedGraph, v: number): number {
  return g.inOffsets[v + 1] - g.inOffsets[v];
}

/** True when u -> v is an edge (binary search in u's sorted out-row). */
export function hasEdge(g: DirectedGraph, u: number, v: number): boolean {
  let lo = g.outOffsets[u];
  let hi = g.outOffsets[u + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = g.outTargets[mid];
    if (x === v) return true;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The graph's merged edges back as arrays, in (source, target) order. */
export function edgesOf(g: DirectedGraph): EdgeArrays {
  const sources = new Int32Array(g.edgeCount);
  for (let u = 0; u < g.nodeCount; u++) sources.fill(u, g.outOffsets[u], g.outOffsets[u + 1]);
  return { sources, targets: g.outTargets.slice(), weights: g.outWeights.slice() };
}

/** Maps string ids to dense indices in order of first appearance. */
export class NodeIndex {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();

  indexOf(id: string): number {
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.byId.set(id, i);
    }
    return i;
  }

  find(id: string): number | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.ids.length;
  }
}
