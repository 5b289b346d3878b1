/**
 * Self-learning query rewriting (methods.md section 2): defects and rephrases detected in the request log,
 * an offline rewrite table from an absorbing Markov chain over users' reformulations, a self-aware monitor
 * that withdraws rewrites that stop winning, and an online rewriter with a global and a personal layer.
 */
export {
  type DefectOptions,
  type DefectReason,
  type DefectVerdict,
  type DetectionQuality,
  detectDefects,
  detectionQuality,
  type PrecisionRecall,
  precisionRecall,
} from "./defects.js";
export { buildRewriteTable } from "./markov.js";
export { type MineRewritesOptions, mineRewrites } from "./mine.js";
export { GlobalIndex } from "./online/global-index.js";
export {
  defaultOnlineRewriterOptions,
  OnlineRewriter,
  type OnlineRewriterOptions,
  type RewriteLayer,
  type RewriteLookup,
  type RewriteRequest,
  type RewriteResult,
} from "./online/online-rewriter.js";
export { PersonalIndex } from "./online/personal-index.js";
export { playDurationAffinity } from "./online/play-affinity.js";
export { type TrainedRewriter, type TrainRewriterOptions, trainOnlineRewriter } from "./online/train.js";
export {
  defaultRephraseOptions,
  detectRephrases,
  type RephraseLink,
  type RephraseOptions,
  rephraseScore,
} from "./rephrase.js";
export {
  defaultRewriteOptions,
  type RejectionReason,
  type RewriteGuardrails,
  type RewriteRule,
  type RewriteStats,
  RewriteTable,
  type RewriteTableJson,
  type RewriteTableOptions,
} from "./rewrite-table.js";
export {
  type ArmPosterior,
  defaultMonitorOptions,
  type MonitorOptions,
  probabilityGreater,
  RewriteMonitor,
  type RewriteState,
  type RewriteStatus,
  type ServeDecision,
} from "./self-aware.js";
export {
  type ChainOutcome,
  type ChainStep,
  defaultSessionGapMs,
  type LabelledTurn,
  labelByQuickFollowUp,
  type ReformulationChain,
  reformulationChains,
  splitSessions,
  turnFromAolLine,
  type UnlabelledTurn,
} from "./sessions.js";
