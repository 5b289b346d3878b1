/**
 * Differentially private text perturbation (methods.md section 7): word embedding tables and their
 * neighbourhoods, the multivariate Laplace and truncated Gumbel word mechanisms, plausible-deniability
 * statistics, per-user budget accounting, and the intent-classification utility task.
 */
export * from "./budget.js";
export * from "./deniability.js";
export * from "./embeddings.js";
export * from "./intent.js";
export * from "./ivf.js";
export * from "./lambert-w.js";
export * from "./mechanisms.js";
export * from "./neighbours.js";
export * from "./text.js";
