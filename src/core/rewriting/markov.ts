import type { MeaningVerdict } from "./meaning.js";
import {
  defaultRewriteOptions,
  type RejectionReason,
  type RewriteRule,
  type RewriteStats,
  RewriteTable,
  type RewriteTableOptions,
} from "./rewrite-table.js";
import {
  type LabelledTurn,
  type ReformulationChain,
  reformulationChains,
  type SessionOptions,
} from "./sessions.js";

const SUCCESS = -1;
const FAILURE = -2;

/** One state's outgoing probabilities, for a source's as-is row (the shared rows live in flat arrays). */
interface Row {
  cols: Int32Array;
  vals: Float64Array;
  self: number;
  success: number;
  failure: number;
}

/** Says whether a rewrite keeps its source's meaning (`sameMeaning`, with catalogue evidence where known). */
export type MeaningJudge = (source: string, rewrite: string) => MeaningVerdict;

/**
 * Builds the table from reformulation chains, or from labelled turns (cut into chains first with
 * `sessionGapMs`). Deterministic: ties go to the lexicographically smaller rewrite. With a `judge`, a
 * rewrite must keep the source's meaning: the source gets the best rewrite that does, and the best one
 * that did not is listed in `stats.changedMeaning`.
 */
export function buildRewriteTable(
  input: readonly ReformulationChain[] | readonly LabelledTurn[],
  options: Partial<RewriteTableOptions> & { sessionGapMs?: number } = {},
  judge?: MeaningJudge,
): RewriteTable {
  const { sessionGapMs, ...rest } = options;
  const opts: RewriteTableOptions = { ...defaultRewriteOptions, ...rest };
  const chains = isChains(input)
    ? input
    : reformulationChains(input as readonly LabelledTurn[], { gapMs: sessionGapMs } satisfies SessionOptions);

  // One transition per step, to the next step or to the chain's absorbing outcome. Flat arrays: the
  // states of chain c are tFrom[chainStart[c] .. chainStart[c + 1]).
  const stateId = new Map<string, number>();
  const names: string[] = [];
  const userId = new Map<string, number>();
  let nSteps = 0;
  for (const c of chains) nSteps += c.steps.length;
  const tFrom = new Int32Array(nSteps);
  const tTo = new Int32Array(nSteps);
  const tUser = new Int32Array(nSteps);
  const tByRewrite = new Uint8Array(nSteps);
  const chainStart = new Int32Array(chains.length + 1);
  let t = 0;
  for (let c = 0; c < chains.length; c++) {
    const chain = chains[c];
    let u = userId.get(chain.user);
    if (u === undefined) {
      u = userId.size;
      userId.set(chain.user, u);
    }
    chainStart[c] = t;
    const steps = chain.steps;
    for (let i = 0; i < steps.length; i++) {
      let id = stateId.get(steps[i].state);
      if (id === undefined) {
        id = names.length;
        stateId.set(steps[i].state, id);
        names.push(steps[i].state);
      }
      tFrom[t + i] = id;
      tUser[t + i] = u;
      if (i > 0) {
        tTo[t + i - 1] = id;
        tByRewrite[t + i - 1] = steps[i].byRewrite ? 1 : 0;
      }
    }
    t += steps.length;
    if (steps.length > 0) tTo[t - 1] = chain.outcome === "SUCCESS" ? SUCCESS : FAILURE;
  }
  chainStart[chains.length] = t;
  const n = names.length;

  // Transitions ordered by (source, user) and by (source, target), with stable counting sorts.
  const byUser = countingOrder(tUser, userId.size, null);
  const bySourceUser = countingOrder(tFrom, n, byUser);
  const toKey = tTo.map((to) => to + 2); // SUCCESS, FAILURE -> 1, 0
  const bySourceTarget = countingOrder(tFrom, n, countingOrder(toKey, n + 2, null));

  // Weight of each transition, support and total votes per state. "user": a user's transitions out of a
  // state share one vote, so a heavy user repeating a -> b cannot outvote many others.
  const weight = new Float64Array(nSteps);
  const support = new Int32Array(n);
  const votes = new Float64Array(n);
  const sourceStart = new Int32Array(n + 1); // state s's transitions: bySourceUser[sourceStart[s] ..]
  sourceStart[n] = nSteps;
  for (let k = 0; k < nSteps; ) {
    const s = tFrom[bySourceUser[k]];
    const u = tUser[bySourceUser[k]];
    if (support[s] === 0) sourceStart[s] = k;
    let j = k;
    while (j < nSteps && tFrom[bySourceUser[j]] === s && tUser[bySourceUser[j]] === u) j++;
    const w = opts.weighting === "user" ? 1 / (j - k) : 1;
    for (let m = k; m < j; m++) weight[bySourceUser[m]] = w;
    support[s]++;
    votes[s] += opts.weighting === "user" ? 1 : j - k;
    k = j;
  }

  // Q without its diagonal in CSR form; the diagonal (a user repeating the same words) and R apart.
  const rowStart = new Int32Array(n + 1);
  const col = new Int32Array(nSteps);
  const val = new Float64Array(nSteps);
  const selfLoop = new Float64Array(n);
  const toSuccess = new Float64Array(n);
  const toFailure = new Float64Array(n);
  let e = 0;
  for (let k = 0; k < nSteps; ) {
    const s = tFrom[bySourceTarget[k]];
    rowStart[s] = e;
    while (k < nSteps && tFrom[bySourceTarget[k]] === s) {
      const to = tTo[bySourceTarget[k]];
      let w = 0;
      for (; k < nSteps && tFrom[bySourceTarget[k]] === s && tTo[bySourceTarget[k]] === to; k++) {
        w += weight[bySourceTarget[k]];
      }
      const p = w / votes[s];
      if (to === SUCCESS) toSuccess[s] = p;
      else if (to === FAILURE) toFailure[s] = p;
      else if (to === s) selfLoop[s] = p;
      else {
        col[e] = to;
        val[e++] = p;
      }
    }
  }
  // Every state has a transition (each step has one), so every row start was set above.
  rowStart[n] = e;
  // Long rows largest-first, so that pruning stops at the first transition below the threshold.
  const transientOut = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const a = rowStart[s];
    const b = rowStart[s + 1];
    let sum = 0;
    for (let k = a; k < b; k++) sum += val[k];
    transientOut[s] = sum;
    if (b - a <= 16) continue;
    const idx = Array.from({ length: b - a }, (_, k) => a + k).sort(
      (x, y) => val[y] - val[x] || col[x] - col[y],
    );
    const cs = idx.map((k) => col[k]);
    const vs = idx.map((k) => val[k]);
    col.set(cs, a);
    val.set(vs, a);
  }
  let edges = e;
  for (let s = 0; s < n; s++) if (selfLoop[s] > 0) edges++;
  const hasRewrittenEdges = new Uint8Array(n);
  for (let k = 0; k < nSteps; k++) if (tByRewrite[k]) hasRewrittenEdges[tFrom[k]] = 1;

  /** The row of s without the assistant's rewrites: s as it fares when served as-is; null if never. */
  const asIsRow = (s: number): Row | null => {
    const perUser = new Map<number, Map<number, number>>();
    for (let i = sourceStart[s]; i < sourceStart[s + 1]; i++) {
      const k = bySourceUser[i];
      if (tByRewrite[k]) continue;
      let m = perUser.get(tUser[k]);
      if (!m) {
        m = new Map();
        perUser.set(tUser[k], m);
      }
      m.set(tTo[k], (m.get(tTo[k]) ?? 0) + 1);
    }
    if (perUser.size === 0) return null;
    const acc = new Map<number, number>();
    let total = 0;
    for (const m of perUser.values()) {
      let userTotal = 0;
      for (const c of m.values()) userTotal += c;
      for (const [to, c] of m)
        acc.set(to, (acc.get(to) ?? 0) + (opts.weighting === "user" ? c / userTotal : c));
      total += opts.weighting === "user" ? 1 : userTotal;
    }
    const targets = [...acc.keys()].filter((to) => to >= 0 && to !== s).sort((x, y) => x - y);
    return {
      cols: Int32Array.from(targets),
      vals: Float64Array.from(targets, (to) => acc.get(to)! / total),
      self: (acc.get(s) ?? 0) / total,
      success: (acc.get(SUCCESS) ?? 0) / total,
      failure: (acc.get(FAILURE) ?? 0) / total,
    };
  };

  const rejected: Record<RejectionReason, number> = {
    support: 0,
    defectRate: 0,
    failureProbability: 0,
    noCandidate: 0,
    pathUsers: 0,
    rewriteSuccess: 0,
    gain: 0,
    meaning: 0,
  };
  const verdicts = new Map<string, MeaningVerdict>();
  const verdict = (s: number, r: number): MeaningVerdict | null => {
    if (!judge) return null;
    const key = `${names[s]}\u0000${names[r]}`;
    let v = verdicts.get(key);
    if (!v) {
      v = judge(names[s], names[r]);
      verdicts.set(key, v);
    }
    return v;
  };
  const keepsMeaning = (s: number, r: number) => verdict(s, r)?.same ?? true;
  const changedMeaning: RewriteStats["changedMeaning"] = [];

  // Sources passing the guardrails that need no solve. The as-is row is the counterfactual "not
  // rewritten"; it falls back to the shared row when the source was never served as-is.
  const asIsRows = new Map<number, Row>();
  const candidates: number[] = [];
  let nSources = 0;
  for (let s = 0; s < n; s++) {
    if (rowStart[s + 1] === rowStart[s]) continue;
    nSources++;
    const asIs = hasRewrittenEdges[s] ? asIsRow(s) : null;
    if (support[s] < opts.minSupportUsers) rejected.support++;
    else if (1 - (asIs ? asIs.success : toSuccess[s]) < opts.minDefectRate) rejected.defectRate++;
    else {
      candidates.push(s);
      if (asIs) asIsRows.set(s, asIs);
    }
  }

  // Distinct users going s ~> r inside one chain, for candidate sources only.
  const isCandidate = new Uint8Array(n);
  for (const s of candidates) isCandidate[s] = 1;
  const pathUsers = new Map<number, Map<number, Set<number>>>();
  for (let c = 0; c < chains.length; c++) {
    const end = chainStart[c + 1];
    for (let i = chainStart[c]; i + 1 < end; i++) {
      const s = tFrom[i];
      if (!isCandidate[s]) continue;
      let targets = pathUsers.get(s);
      if (!targets) {
        targets = new Map();
        pathUsers.set(s, targets);
      }
      for (let j = i + 1; j < end; j++) {
        if (tFrom[j] === s) continue;
        let users = targets.get(tFrom[j]);
        if (!users) {
          users = new Set();
          targets.set(tFrom[j], users);
        }
        users.add(tUser[i]);
      }
    }
  }

  // Work arrays for the sparse sums, reset through the touched list.
  const visits = new Float64Array(n);
  let residual = new Float64Array(n);
  let nextResidual = new Float64Array(n);
  const touched: number[] = [];
  const inVisits = new Uint8Array(n);
  let maxResidual = 0;

  /**
   * N_s restricted to the states reachable from s: sums e_s Q^k until the mass in transit is below the
   * tolerance, each state's self-loop summed in closed form (a user repeating the same words would
   * otherwise need hundreds of terms). `visits` holds N_s until the next call; `touched` lists its support.
   */
  const solve = (s: number, sourceRow: Row | undefined) => {
    for (const j of touched) {
      visits[j] = 0;
      inVisits[j] = 0;
    }
    touched.length = 0;
    let active = [s];
    residual[s] = 1;
    let success = 0;
    let failure = 0;
    let dropped = 0;
    let mass = 1;
    const prune = opts.prune;
    for (let step = 0; step < opts.maxSteps && mass > opts.tolerance; step++) {
      const next: number[] = [];
      for (const j of active) {
        const r = residual[j];
        residual[j] = 0;
        if (!inVisits[j]) {
          inVisits[j] = 1;
          touched.push(j);
        }
        const own = j === s && sourceRow;
        const m = r / Math.max(1 - (own ? sourceRow.self : selfLoop[j]), 1e-12);
        visits[j] += m;
        success += m * (own ? sourceRow.success : toSuccess[j]);
        failure += m * (own ? sourceRow.failure : toFailure[j]);
        const cols = own ? sourceRow.cols : col;
        const vals = own ? sourceRow.vals : val;
        const a = own ? 0 : rowStart[j];
        const b = own ? cols.length : rowStart[j + 1];
        const sorted = !own && b - a > 16;
        let pushed = 0;
        for (let k = a; k < b; k++) {
          const v = m * vals[k];
          if (v < prune) {
            if (sorted) break; // the rest of a long shared row is smaller still
            continue;
          }
          const to = cols[k];
          if (nextResidual[to] === 0) next.push(to);
          nextResidual[to] += v;
          pushed += v;
        }
        const out = own ? sourceRow.vals.reduce((x, y) => x + y, 0) : transientOut[j];
        dropped += Math.max(0, m * out - pushed);
      }
      const swap = residual;
      residual = nextResidual;
      nextResidual = swap;
      active = next;
      mass = 0;
      for (const j of active) mass += residual[j];
    }
    for (const j of active) residual[j] = 0;
    if (mass + dropped > maxResidual) maxResidual = mass + dropped;
    return { success, failure };
  };

  const rules: RewriteRule[] = [];
  for (const s of candidates) {
    const asIs = asIsRows.get(s);
    const direct = asIs ? asIs.success : toSuccess[s];
    // Whatever r* turns out to be, it must be a state some users went on to from s and pass the
    // guardrails that need no solve; when no such state exists the solve is skipped (most sources).
    if (opts.minPathUsers >= 1) {
      let reason: RejectionReason = "pathUsers";
      let refused = -1; // the best-travelled route that passes every guardrail but the meaning check
      for (const [r, users] of pathUsers.get(s) ?? []) {
        if (users.size < opts.minPathUsers) continue;
        if (toSuccess[r] < opts.minRewriteSuccess) {
          if (reason === "pathUsers") reason = "rewriteSuccess";
        } else if (toSuccess[r] - direct < opts.minGain) {
          if (reason !== "meaning") reason = "gain";
        } else if (!keepsMeaning(s, r)) {
          reason = "meaning";
          const best = refused < 0 ? 0 : (pathUsers.get(s)?.get(refused)?.size ?? 0);
          if (users.size > best || (users.size === best && names[r] < names[refused])) refused = r;
        } else {
          reason = "noCandidate"; // marks "viable"
          break;
        }
      }
      if (reason !== "noCandidate") {
        rejected[reason]++;
        if (reason === "meaning") {
          changedMeaning.push({
            source: names[s],
            rewrite: names[refused],
            reason: verdict(s, refused)!.reason,
            pathUsers: pathUsers.get(s)?.get(refused)?.size ?? 0,
            rewriteSuccess: toSuccess[refused],
            sourceDirectSuccess: direct,
          });
        }
        continue;
      }
    }
    // The failure guardrail and the baseline judge the source as-is; the choice of rewrite uses every
    // path out of it, the assistant's rewrites included.
    const base = asIs ? solve(s, asIs) : null;
    const all = solve(s, undefined);
    const sourceSuccess = (base ?? all).success;
    const sourceFailure = (base ?? all).failure;
    if (sourceFailure < opts.minFailureProbability) {
      rejected.failureProbability++;
      continue;
    }
    // r* = argmax over r != s of N_sr R_r,SUCCESS (ties to the smaller text) among the rewrites that keep
    // the source's meaning, then the guardrails on r* alone: a weaker route that happens to pass them is
    // not what rescues this source's users. The best route that changes the meaning is listed.
    let best = -1;
    let bestContribution = 0;
    let bestChanged = -1;
    let bestChangedContribution = 0;
    for (const r of touched) {
      if (r === s) continue;
      const contribution = visits[r] * toSuccess[r];
      if (contribution > 0 && contribution >= bestContribution && judge && !keepsMeaning(s, r)) {
        if (contribution > bestChangedContribution) {
          bestChanged = r;
          bestChangedContribution = contribution;
        }
        continue;
      }
      if (
        contribution > bestContribution ||
        (contribution === bestContribution && best >= 0 && names[r] < names[best])
      ) {
        if (contribution === 0) continue;
        best = r;
        bestContribution = contribution;
      }
    }
    if (bestChanged >= 0 && bestChangedContribution > bestContribution) {
      const v = verdict(s, bestChanged)!;
      changedMeaning.push({
        source: names[s],
        rewrite: names[bestChanged],
        reason: v.reason,
        pathUsers: pathUsers.get(s)?.get(bestChanged)?.size ?? 0,
        rewriteSuccess: toSuccess[bestChanged],
        sourceDirectSuccess: direct,
      });
    }
    if (best < 0) {
      if (bestChanged >= 0) rejected.meaning++;
      else rejected.noCandidate++;
      continue;
    }
    const users = pathUsers.get(s)?.get(best)?.size ?? 0;
    const rewriteSuccess = toSuccess[best];
    const gain = rewriteSuccess - direct;
    const reason: RejectionReason | null =
      users < opts.minPathUsers
        ? "pathUsers"
        : rewriteSuccess < opts.minRewriteSuccess
          ? "rewriteSuccess"
          : gain < opts.minGain
            ? "gain"
            : null;
    if (reason) {
      rejected[reason]++;
      continue;
    }
    const kept = verdict(s, best);
    rules.push({
      source: names[s],
      rewrite: names[best],
      ...(kept ? { meaning: kept.reason } : {}),
      support: support[s],
      pathUsers: users,
      sourceSuccess,
      sourceFailure,
      sourceDirectSuccess: direct,
      rewriteSuccess,
      gain,
      visits: visits[best],
      contribution: bestContribution,
    });
  }
  rules.sort((x, y) => y.support - x.support || y.pathUsers - x.pathUsers || (x.source < y.source ? -1 : 1));

  const stats: RewriteStats = {
    chains: chains.length,
    steps: nSteps,
    users: userId.size,
    states: n,
    edges,
    sources: nSources,
    rules: rules.length,
    rejected,
    maxResidual,
    ...(judge ? { changedMeaning } : {}),
  };
  return new RewriteTable(rules, stats, opts);
}

/**
 * Stable counting sort of positions by integer keys in [0, range): `within` (an earlier order) is kept
 * among equal keys, so sorting by the minor key first and the major key last orders by both.
 */
function countingOrder(keys: Int32Array, range: number, within: Int32Array | null): Int32Array {
  const count = new Int32Array(range + 1);
  for (let k = 0; k < keys.length; k++) count[keys[k] + 1]++;
  for (let v = 0; v < range; v++) count[v + 1] += count[v];
  const out = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) {
    const pos = within ? within[k] : k;
    out[count[keys[pos]]++] = pos;
  }
  return out;
}

function isChains(
  input: readonly ReformulationChain[] | readonly LabelledTurn[],
): input is ReformulationChain[] {
  return input.length > 0 && "steps" in input[0];
}
