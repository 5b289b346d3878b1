/**
 * The rewrite decision's success estimate, with its uncertainty (issue 18, deliverable 3): for one request
 * at a rule's source, the probability that the rewrite is right (that this user, here, means the rewrite's
 * entity), and how well the log pins that probability down.
 *
 * The mean is the gate's shrinkage (precision.ts) applied to "the chain meant the rewrite" (0/1) instead of
 * the gain: everyone's per-user share, shrunk towards by the context's, then by the user's own chains, each
 * level weighing `priorWeight` pseudo-observations of the wider one.
 *
 * The spread is the estimator's standard error, propagated through the same shrinkage (delta method, each
 * level's sum taken as independent of the wider level's mean):
 *   Var(p_all) = v_all / n_all
 *   Var(p_ctx) = (n_ctx v_ctx + k² Var(p_all)) / (n_ctx + k)²
 *   Var(p_user) = (n_user p(1 - p) + k² Var(p_ctx)) / (n_user + k)²
 * with v the level's sample variance of its units (per-user shares), floored where a level has one unit.
 * It is cheap enough to compute per request, which a bootstrap is not (it needs the raw chains and B
 * re-estimates); `bootstrapSuccess` is the bootstrap it is measured against (README, eval
 * --rewrite-decision).
 */
import { Random } from "../random.js";
import { defaultGateOptions, type GainSums, levelSums, type RuleChain, type RuleGate } from "./precision.js";

export interface SuccessEstimate {
  /** Estimated probability that the rewrite is right for this request. */
  mean: number;
  /** Standard error of that estimate. */
  spread: number;
  /** The narrowest level with data: "none" when the rule has no success evidence. */
  level: "user" | "context" | "overall" | "none";
}

type Levels = Pick<RuleGate, "overall" | "contexts" | "users">;

/** Sample variance of a level's units; with fewer than two, the Bernoulli variance of `mean` (at least 1/12). */
function unitVariance(s: GainSums, mean: number): number {
  if (s.n > 1) return Math.max(0, (s.sumSq - (s.sum * s.sum) / s.n) / (s.n - 1));
  return Math.max(mean * (1 - mean), 1 / 12);
}

/** The success estimate for this user in this context from a rule's success sums. */
export function estimateSuccess(
  success: Levels | undefined,
  user: string | undefined,
  context: string,
  priorWeight = defaultGateOptions.priorWeight,
): SuccessEstimate {
  const k = priorWeight;
  const own = user && success ? success.users[user] : undefined;
  if (!success || (success.overall.n === 0 && !own?.n)) return { mean: 0, spread: 0.5, level: "none" };
  const all = success.overall;
  let mean = all.n ? all.sum / all.n : 0.5;
  // With no pool at all (only the user's own chains), the prior is a coin of the widest spread.
  let variance = all.n ? unitVariance(all, mean) / all.n : 1 / 12;
  let level: SuccessEstimate["level"] = "overall";
  const ctx = success.contexts[context];
  if (ctx && ctx.n > 0) {
    const m = (ctx.sum + k * mean) / (ctx.n + k);
    variance = (ctx.n * unitVariance(ctx, ctx.sum / ctx.n) + k * k * variance) / (ctx.n + k) ** 2;
    mean = m;
    level = "context";
  }
  if (own && own.n > 0) {
    const m = (own.sum + k * mean) / (own.n + k);
    const p = own.sum / own.n;
    // The user's chains are 0/1: their variance is p(1 - p), kept off zero so one chain is not certain.
    const v = Math.max(p * (1 - p), 1 / (4 * (own.n + 1)));
    variance = (own.n * v + k * k * variance) / (own.n + k) ** 2;
    mean = m;
    level = "user";
  }
  return { mean, spread: Math.sqrt(variance), level };
}

/**
 * The bootstrap the analytic spread is measured against: `members` re-estimates, each from the rule's
 * users drawn with replacement (each drawn user's chains drawn with replacement too), and the requesting
 * user's own chains drawn with replacement. Returns each request's mean over members and their standard
 * deviation. The requests are (user, context) pairs of one rule.
 */
export function bootstrapSuccess(
  chainsByUser: ReadonlyMap<string, readonly RuleChain[]>,
  requests: ReadonlyArray<{ user: string; context: string }>,
  members: number,
  seed: number,
  priorWeight = defaultGateOptions.priorWeight,
): Array<{ mean: number; spread: number }> {
  if (!(Number.isInteger(members) && members >= 2)) throw new RangeError("members must be an integer >= 2");
  const rng = new Random(seed);
  const users = [...chainsByUser.keys()];
  const resampleChains = (list: readonly RuleChain[]) =>
    Array.from({ length: list.length }, () => list[rng.int(list.length)]);
  const sum = new Float64Array(requests.length);
  const sumSq = new Float64Array(requests.length);
  for (let b = 0; b < members; b++) {
    const drawn: Array<[string, RuleChain[]]> = Array.from({ length: users.length }, () => {
      const u = users[rng.int(users.length)];
      return [u, resampleChains(chainsByUser.get(u)!)];
    });
    const member = levelSums(drawn, (c) => c.meant);
    // The requesting user's own level is their own chains resampled, whether or not the pool drew them.
    const ownDraw = new Map<string, GainSums>();
    requests.forEach((r, j) => {
      let own = ownDraw.get(r.user);
      if (own === undefined) {
        const list = chainsByUser.get(r.user);
        own = { n: 0, sum: 0, sumSq: 0 };
        if (list)
          for (const c of resampleChains(list)) {
            own.n++;
            own.sum += c.meant;
            own.sumSq += c.meant;
          }
        ownDraw.set(r.user, own);
      }
      const m = estimateSuccess(
        { ...member, users: own.n ? { [r.user]: own } : {} },
        r.user,
        r.context,
        priorWeight,
      ).mean;
      sum[j] += m;
      sumSq[j] += m * m;
    });
  }
  return Array.from(sum, (s, j) => ({
    mean: s / members,
    spread: Math.sqrt(Math.max(0, sumSq[j] / members - (s / members) ** 2)),
  }));
}
