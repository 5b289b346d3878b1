export { aucMannWhitney, averageRanks, kendallTauB, pearson, spearman } from "./correlation.js";
export {
  averagePrecisionAtK,
  hitsAtK,
  ndcgAtK,
  ndcgAtKImplicit,
  precisionAtKImplicit,
  recallAtK,
  topK,
} from "./ranking.js";
