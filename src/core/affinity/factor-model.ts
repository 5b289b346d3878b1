/**
 * A matrix factorization: score(u, i) = b_i + p_u · q_i. Float32Array rows of `factors` floats.
 */
export interface FactorModel {
  nUsers: number;
  nItems: number;
  factors: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  itemBias: Float32Array;
}

export function createFactorModel(nUsers: number, nItems: number, factors: number): FactorModel {
  return {
    nUsers,
    nItems,
    factors,
    userFactors: new Float32Array(nUsers * factors),
    itemFactors: new Float32Array(nItems * factors),
    itemBias: new Float32Array(nItems),
  };
}

export function factorScore(m: FactorModel, u: number, i: number): number {
  const k = m.factors;
  const pu = u * k;
  const qi = i * k;
  let s = m.itemBias[i];
  for (let f = 0; f < k; f++) s += m.userFactors[pu + f] * m.itemFactors[qi + f];
  return s;
}

/** Scores of every item for one user vector (a hot loop: one pass over the item table). */
export function scoreAllItems(
  m: FactorModel,
  userVector: Float32Array,
  out: Float32Array = new Float32Array(m.nItems),
): Float32Array {
  const k = m.factors;
  const q = m.itemFactors;
  for (let i = 0, qi = 0; i < m.nItems; i++, qi += k) {
    let s = m.itemBias[i];
    for (let f = 0; f < k; f++) s += userVector[f] * q[qi + f];
    out[i] = s;
  }
  return out;
}

export function userVector(m: FactorModel, u: number): Float32Array {
  return m.userFactors.subarray(u * m.factors, (u + 1) * m.factors);
}
