/**
 * Examples whose label arrives late (methods.md 5): each starts at startMs (a first long play), carries
 * features fixed at the start, and converts (its label turns 1) delayMs later, or never within the window
 * (delayMs = Infinity). Engagement that happens after the start (plays of the same creator, short replays,
 * long replays short of conversion) is kept as event offsets, so the engagement seen by any elapsed time is
 * a binary search away: training observes each example at its own elapsed time, and the models of the
 * delay are fitted by replaying matured examples at random elapsed times.
 */
export interface DelayedExamples {
  n: number;
  /** Features at the start, row-major n × featureNames.length. */
  x: Float64Array;
  featureNames: string[];
  startMs: Float64Array;
  /** Start to conversion, ms; Infinity when it does not convert within windowMs. */
  delayMs: Float64Array;
  windowMs: number;
  /** Who the example belongs to (cuts may be per user). */
  user: Int32Array;
  engagementKinds: string[];
  /** CSR over (example, kind): offsets (ms after the start, ascending, <= windowMs) of engagement events. */
  engagementPtr: Int32Array;
  engagementOffsetMs: Float64Array;
}

export function eventuallyConverts(ex: DelayedExamples, i: number): number {
  return ex.delayMs[i] <= ex.windowMs ? 1 : 0;
}

export function convertedBy(ex: DelayedExamples, i: number, elapsedMs: number): number {
  return ex.delayMs[i] <= Math.min(elapsedMs, ex.windowMs) ? 1 : 0;
}

/** Engagement events of kind k seen within elapsedMs of example i's start. */
export function engagementCount(ex: DelayedExamples, i: number, kind: number, elapsedMs: number): number {
  const k = ex.engagementKinds.length;
  let lo = ex.engagementPtr[i * k + kind];
  const start = lo;
  let hi = ex.engagementPtr[i * k + kind + 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ex.engagementOffsetMs[mid] <= elapsedMs) lo = mid + 1;
    else hi = mid;
  }
  return lo - start;
}

/** Features of elapsed time itself, as a share of the window: linear and log (conversion hazards are skewed). */
export const elapsedFeatureNames = ["elapsedShare", "logElapsedShare"];

export function elapsedFeatures(elapsedMs: number, windowMs: number, out: Float64Array, at: number): void {
  const share = Math.min(1, Math.max(0, elapsedMs / windowMs));
  out[at] = share;
  out[at + 1] = Math.log(share + 1 / 60);
}

/** Builds the CSR of engagement offsets from per-(example, kind) lists. */
export function engagementCsr(
  lists: number[][][],
  kinds: number,
): { ptr: Int32Array; offsets: Float64Array } {
  const ptr = new Int32Array(lists.length * kinds + 1);
  let total = 0;
  for (let i = 0; i < lists.length; i++)
    for (let k = 0; k < kinds; k++) ptr[i * kinds + k + 1] = total += lists[i][k].length;
  const offsets = new Float64Array(total);
  let at = 0;
  for (const perKind of lists)
    for (const list of perKind) for (const v of [...list].sort((a, b) => a - b)) offsets[at++] = v;
  return { ptr, offsets };
}
