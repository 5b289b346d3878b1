import {
  type BanditPolicy,
  EpsilonGreedyPolicy,
  ExploreThenCommitPolicy,
  LinearPolicy,
  ThompsonSegmentPolicy,
  UniformPolicy,
} from "./policies.js";

/**
 * The policies of Bendada et al.'s comparison by name. Settings are the paper's (epsilon 0.1, explore-then-
 * commit after 20 displays per segment and arm, Beta(1,1) "naive" and Beta(1,99) "pessimistic" priors), except
 * the linear policies' prior precision, which is set from the features' scale so that a new arm's score has a
 * prior standard deviation of one logit for a typical user (`featureSquaredNorm` = mean |x|^2); the bias
 * coordinate starts at -5 (a stream rate near 0.7%, "pessimistic") with precision 1.
 */
export const policyNames = [
  "random",
  "greedy",
  "etc",
  "epsilon-greedy",
  "ts-segment-naive",
  "ts-segment-pessimistic",
  "linear-ts",
  "linear-ucb",
] as const;
export type PolicyName = (typeof policyNames)[number];

export function makePolicy(
  name: string,
  setting: { nArms: number; nSegments: number; dim: number; featureSquaredNorm: number },
): BanditPolicy {
  const { nArms, nSegments, dim } = setting;
  const linear = { priorPrecision: setting.featureSquaredNorm, biasPrior: -5, biasPrecision: 1 };
  switch (name) {
    case "random":
      return new UniformPolicy(nArms, name);
    case "greedy":
      // The best observed rate per segment, never exploring on purpose (ties broken at random): the baseline
      // that tells whether exploration earns its cost.
      return new EpsilonGreedyPolicy(nArms, nSegments, 0, name);
    case "etc":
      return new ExploreThenCommitPolicy(nArms, nSegments, 20, name);
    case "epsilon-greedy":
      return new EpsilonGreedyPolicy(nArms, nSegments, 0.1, name);
    case "ts-segment-naive":
      return new ThompsonSegmentPolicy(nArms, nSegments, 1, 1, name);
    case "ts-segment-pessimistic":
      return new ThompsonSegmentPolicy(nArms, nSegments, 1, 99, name);
    case "linear-ts":
      return new LinearPolicy(nArms, dim, "thompson", linear, name);
    case "linear-ucb":
      return new LinearPolicy(nArms, dim, "ucb", { ...linear, alpha: 1 }, name);
    default:
      throw new RangeError(`unknown policy ${JSON.stringify(name)}; known: ${policyNames.join(", ")}`);
  }
}
