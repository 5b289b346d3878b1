import { trainDirectedEmbeddings } from "../src/core/directed/blade.js";
import { buildDirectedGraph } from "../src/core/directed/graph.js";
import { simulateFollowGraph } from "../src/core/directed/synthetic.js";

const nodes = Number(process.argv[2] ?? 40000);
const edges = simulateFollowGraph({ nodes, meanOutDegree: 4, seed: 7 });
const g = buildDirectedGraph(nodes, edges);
const t = performance.now();
const stamps: number[] = [];
trainDirectedEmbeddings(g, {
  epochs: 4,
  seed: 1,
  onEpoch() {
    stamps.push(performance.now());
    return true;
  },
});
console.log(
  nodes,
  g.edgeCount,
  "first",
  (stamps[0] - t) / 1000,
  "epochs",
  stamps.slice(1).map((s, k) => ((s - stamps[k]) / 1000).toFixed(3)),
);
