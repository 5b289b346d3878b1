import { Random } from "../random.js";
import type { EdgeArrays } from "./graph.js";

export interface FollowGraphOptions {
  nodes: number;
  /** Nodes per sequence (an album, a series): its members are ordered and edges run forwards (default 12). */
  sequenceLength?: number;
  /** Mean out-edges per node (default 4); out-degrees are heavy-tailed (a few hubs, many sparse nodes). */
  meanOutDegree?: number;
  /** Share of edges to a uniformly random node, in either direction (default 0.1). */
  noise?: number;
  seed?: number;
}

/**
 * A directed graph with a known "what follows" structure, for tests and benchmarks: nodes form ordered
 * sequences (tracks of an album, episodes of a series); an edge from u goes, with probability 1 - noise, to a
 * later member of u's own sequence (the next one most often: the gap is geometric), otherwise to any node.
 * Ground truth for direction: within a sequence, u -> v is right exactly when v comes later. In-degrees are
 * alike in both directions on average, so the degree-only baseline cannot tell direction here.
 */
export function simulateFollowGraph(options: FollowGraphOptions): EdgeArrays & { position: Int32Array } {
  const n = options.nodes;
  const length = options.sequenceLength ?? 12;
  const mean = options.meanOutDegree ?? 4;
  const noise = options.noise ?? 0.1;
  const random = new Random(options.seed ?? 1);
  const position = Int32Array.from({ length: n }, (_, u) => u % length);
  const sources: number[] = [];
  const targets: number[] = [];
  for (let u = 0; u < n; u++) {
    // Pareto-like out-degree with the requested mean: most nodes sparse, a few with many edges.
    const degree = Math.max(1, Math.round((mean / 2) * (1 / Math.sqrt(1 - random.next()))));
    const start = u - position[u];
    const last = Math.min(start + length, n) - 1;
    for (let k = 0; k < degree; k++) {
      let v: number;
      if (random.next() < noise || u === last) v = random.int(n);
      else {
        let gap = 1;
        while (random.next() < 0.5 && u + gap < last) gap++;
        v = u + gap;
      }
      if (v === u) continue;
      sources.push(u);
      targets.push(v);
    }
  }
  return {
    sources: Int32Array.from(sources),
    targets: Int32Array.from(targets),
    weights: new Float32Array(sources.length).fill(1),
    position,
  };
}
