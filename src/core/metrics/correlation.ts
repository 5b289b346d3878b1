/**
 * Correlation and rank statistics over plain numeric arrays. All functions are pure and expect finite
 * inputs (NaN makes the sort order, and so the result, undefined). Paired inputs must have equal length.
 */

function sameLength(x: ArrayLike<number>, y: ArrayLike<unknown>): number {
  if (x.length !== y.length) throw new RangeError(`length mismatch: ${x.length} vs ${y.length}`);
  return x.length;
}

/** Number of unordered pairs among t items: t(t-1)/2. */
const pairs = (t: number): number => (t * (t - 1)) / 2;

/** Blocks of this length are insertion-sorted before merging, replacing the first merge passes. */
const RUN = 32;

/**
 * Stable in-place sort of a ascending, ties ordered by b ascending when b is given; b and idx (when given)
 * are permuted alongside. Insertion sort of RUN-long blocks, then bottom-up merge passes that move the keys
 * with the indices so that every pass reads memory sequentially. Returns the number of inversions: pairs
 * i < j whose (a, b) keys are strictly out of order (equal keys are not inversions).
 */
function mergeSort(a: Float64Array, b: Float64Array | null, idx: Uint32Array | null): number {
  const n = a.length;
  let inversions = 0;
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo + 1; i < hi; i++) {
      const va = a[i];
      const vb = b ? b[i] : 0;
      const vi = idx ? idx[i] : 0;
      let j = i;
      for (; j > lo && (va < a[j - 1] || (b !== null && va === a[j - 1] && vb < b[j - 1])); j--) {
        a[j] = a[j - 1];
        if (b) b[j] = b[j - 1];
        if (idx) idx[j] = idx[j - 1];
      }
      inversions += i - j; // each element shifted past was an inversion
      a[j] = va;
      if (b) b[j] = vb;
      if (idx) idx[j] = vi;
    }
  }
  // Source and destination buffers of a merge pass; they swap roles after each pass.
  let sa: Float64Array = a;
  let sb: Float64Array | null = b;
  let si: Uint32Array | null = idx;
  let da: Float64Array = new Float64Array(n);
  let db: Float64Array | null = b && new Float64Array(n);
  let di: Uint32Array | null = idx && new Uint32Array(n);
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      for (let k = lo; k < hi; k++) {
        // Take from the right only when strictly smaller (keeps the sort stable); it then passes mid - i.
        const right =
          i === mid || (j < hi && (sa[j] < sa[i] || (sb !== null && sa[j] === sa[i] && sb[j] < sb[i])));
        let s = i;
        if (right) {
          inversions += mid - i;
          s = j++;
        } else i++;
        da[k] = sa[s];
        if (sb) db![k] = sb[s];
        if (si) di![k] = si[s];
      }
    }
    [sa, sb, si, da, db, di] = [da, db, di, sa, sb, si];
  }
  if (sa !== a) {
    a.set(sa);
    if (sb) b!.set(sb);
    if (si) idx!.set(si);
  }
  return inversions;
}

/** Indices 0..n-1 ordered by x ascending, then by y ascending when y is given, then by index. */
function sortedOrder(x: ArrayLike<number>, y?: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(x.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  mergeSort(Float64Array.from(x), y ? Float64Array.from(y) : null, idx);
  return idx;
}

/**
 * 1-based ranks of x in ascending order; a group of tied values all get the mean of the ranks they
 * span, e.g. [10, 20, 10, 30] -> [1.5, 3, 1.5, 4].
 */
export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = sortedOrder(x);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    const v = x[order[i]];
    let j = i + 1;
    while (j < n && x[order[j]] === v) j++;
    const r = (i + 1 + j) / 2; // mean of the ranks i+1 .. j
    for (let t = i; t < j; t++) ranks[order[t]] = r;
    i = j;
  }
  return ranks;
}

/**
 * Pearson product-moment correlation r = Σ(x-x̄)(y-ȳ) / √(Σ(x-x̄)² Σ(y-ȳ)²), in [-1, 1].
 * Returns 0 (not NaN) when either side is constant or n < 2.
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = sameLength(x, y);
  if (n < 2) return 0;
  let mx = 0;
  let my = 0;
  let xVaries = false;
  let yVaries = false;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
    if (x[i] !== x[0]) xVaries = true;
    if (y[i] !== y[0]) yVaries = true;
  }
  // Test constancy exactly: the mean of equal values may round, leaving a spurious tiny variance.
  if (!xVaries || !yVaries) return 0;
  mx /= n;
  my /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const r = sxy / (Math.sqrt(sxx) * Math.sqrt(syy));
  return Math.max(-1, Math.min(1, r));
}

/** Spearman's ρ: the Pearson correlation of the average ranks of x and y. 0 when either is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  sameLength(x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Kendall's τ_b = (n_c - n_d) / √((n_0 - n_1)(n_0 - n_2)), where n_0 = n(n-1)/2, n_c and n_d count
 * concordant and discordant pairs, n_1 pairs tied in x and n_2 pairs tied in y (pairs tied in both count
 * in n_1 and n_2 and are neither concordant nor discordant). Returns 0 when either side is constant.
 *
 * O(n log n) by Knight's algorithm: order by (x, y); count x ties and joint ties as runs in that order;
 * then the discordant pairs are exactly the inversions of the y sequence, counted by a merge sort, after
 * which the y ties are runs of the sorted y.
 */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = sameLength(x, y);
  if (n < 2) return 0;
  const order = sortedOrder(x, y);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = y[order[i]];

  let tiesX = 0;
  let tiesXY = 0;
  let runX = 1;
  let runXY = 1;
  for (let i = 1; i < n; i++) {
    if (x[order[i]] === x[order[i - 1]]) {
      runX++;
      if (ys[i] === ys[i - 1]) runXY++;
      else {
        tiesXY += pairs(runXY);
        runXY = 1;
      }
    } else {
      tiesX += pairs(runX);
      tiesXY += pairs(runXY);
      runX = 1;
      runXY = 1;
    }
  }
  tiesX += pairs(runX);
  tiesXY += pairs(runXY);

  const discordant = mergeSort(ys, null, null);

  let tiesY = 0;
  let runY = 1;
  for (let i = 1; i < n; i++) {
    if (ys[i] === ys[i - 1]) runY++;
    else {
      tiesY += pairs(runY);
      runY = 1;
    }
  }
  tiesY += pairs(runY);

  const n0 = pairs(n);
  const denominator = Math.sqrt(n0 - tiesX) * Math.sqrt(n0 - tiesY);
  if (denominator === 0) return 0;
  // n_c + n_d = n0 - n1 - n2 + n3 (n3 = joint ties), so n_c - n_d = n0 - n1 - n2 + n3 - 2 n_d.
  return (n0 - tiesX - tiesY + tiesXY - 2 * discordant) / denominator;
}

/**
 * ROC AUC as the Mann-Whitney statistic: the probability that a random positive scores above a random
 * negative, ties counting 1/2, i.e. (R₊ - n₊(n₊+1)/2) / (n₊ n₋) with R₊ the sum of the positives' average
 * ranks. isPositive[i] is truthy (true or nonzero) for positives. NaN when either class is empty.
 */
export function aucMannWhitney(scores: ArrayLike<number>, isPositive: ArrayLike<boolean | number>): number {
  const n = sameLength(scores, isPositive);
  const ranks = averageRanks(scores);
  let nPos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; i++) {
    if (isPositive[i]) {
      nPos++;
      rankSum += ranks[i];
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
