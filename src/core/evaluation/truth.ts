import { type AffinityModel, scoreAffinity } from "../affinity/affinity-model.js";
import { factorScore } from "../affinity/factor-model.js";
import { spearman } from "../metrics/correlation.js";

/** Mean per-user Spearman between a scorer and the true affinity, over all items and over items new to the user. */
export interface TruthAgreement {
  all: number;
  new: number;
}

export interface TruthReport {
  model: TruthAgreement;
  mf: TruthAgreement;
  popularity: TruthAgreement;
  users: number;
}

/**
 * On a simulated world the true affinity of every (user, item) is known, so the learned ranking can be
 * compared with the truth directly, including on items the user never played (where only the
 * factorization can know anything). `trueAffinity(u, i)` takes the model's own user and item indices.
 */
export function compareWithTruth(
  model: AffinityModel,
  trueAffinity: (user: number, item: number) => number | null,
  maxUsers = 500,
): TruthReport {
  const nItems = model.items.length;
  const sums = { model: { all: 0, new: 0 }, mf: { all: 0, new: 0 }, popularity: { all: 0, new: 0 } };
  let users = 0;
  const cells = model.history;
  const step = Math.max(1, Math.floor(model.users.length / maxUsers));
  for (let u = 0; u < model.users.length; u += step) {
    if (cells.rowPtr[u + 1] === cells.rowPtr[u]) continue;
    const own = new Uint8Array(nItems);
    for (let c = cells.rowPtr[u]; c < cells.rowPtr[u + 1]; c++) own[cells.items[c]] = 1;
    const truth: number[] = [];
    const learned: number[] = [];
    const mf: number[] = [];
    const pop: number[] = [];
    const isNew: boolean[] = [];
    for (let i = 0; i < nItems; i++) {
      const t = trueAffinity(u, i);
      if (t === null) continue;
      truth.push(t);
      learned.push(scoreAffinity(model, u, i).affinity);
      mf.push(factorScore(model.factors, u, i));
      pop.push(model.popularity[i]);
      isNew.push(own[i] === 0);
    }
    if (truth.length < 3) continue;
    const pick = (xs: number[]) => xs.filter((_, k) => isNew[k]);
    for (const [name, xs] of [
      ["model", learned],
      ["mf", mf],
      ["popularity", pop],
    ] as const) {
      sums[name].all += spearman(xs, truth);
      sums[name].new += spearman(pick(xs), pick(truth));
    }
    users++;
  }
  const avg = (s: TruthAgreement): TruthAgreement => ({
    all: users ? Math.round((s.all / users) * 1e4) / 1e4 : 0,
    new: users ? Math.round((s.new / users) * 1e4) / 1e4 : 0,
  });
  return { model: avg(sums.model), mf: avg(sums.mf), popularity: avg(sums.popularity), users };
}
