import { Random } from "../random.js";
import { type BanditEnvironment, tableEnvironment } from "./environment.js";

/**
 * A simulator fitted to a store's own home-page log, Accordion-style (McInerney et al., RecSys 2021;
 * methods.md 8b): two models learned from the logged pages, so that a new policy can be tried on this store's
 * users before it meets them.
 * - Visits: a rate per user and time of week (pages a week in each of 8 parts of the week: weekday or weekend
 *   x night, morning, afternoon, evening, UTC), each user's own counts shrunk towards the population's weekly
 *   profile by `visitPrior` pseudo-pages, so a user seen twice follows the crowd and a regular their own habit.
 * - Choice: the chance that a seen shelf is streamed, per item and part of the week, fitted with inverse-
 *   propensity weights towards the uniform policy (w = (1/items)/propensity, scaled to mean 1) so that what the
 *   logging policy favoured does not look better for having been shown more. Rates are shrunk in two levels
 *   (item x part of week towards the item, the item towards the whole log), the shrinkage chosen by weighted
 *   5-fold cross-validated log-loss on the log; a user-level odds factor (their streams against the model's
 *   expectation, shrunk the same way) lets heavy streamers stream more without changing what they prefer.
 * The environment's visitors are (user, part of week) cells drawn by their rates; policies see the part of
 * the week (one-hot, plus a constant) and use it as their segment. Feedback is the home page's cascade: only
 * the slots a page says were judged (`seen`) enter the fit.
 */
export const WEEK_PARTS = 8;
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Part of the week of a UTC time: weekend (Saturday, Sunday) x 4 + the 6-hour part of the day. */
export function weekPart(timeMs: number): number {
  const d = new Date(timeMs);
  const day = d.getUTCDay();
  const weekend = day === 0 || day === 6 ? 1 : 0;
  return weekend * 4 + Math.floor(d.getUTCHours() / 6);
}

export interface LoggedPage {
  /** 0-based user index. */
  user: number;
  timeMs: number;
  /** Items shown, by slot (0-based item indices). */
  items: ArrayLike<number>;
  /** The logging policy's propensity of each shown item at its slot. */
  propensities: ArrayLike<number>;
  /** 1 where the slot was streamed (>= 30 s). */
  rewards: ArrayLike<number>;
  /** Leading slots the user judged (up to the stream; the fit uses only these). */
  seen: number;
}

export interface VisitRates {
  nUsers: number;
  /** Weeks the log spans (at least one day's worth). */
  weeks: number;
  /** nUsers x WEEK_PARTS pages a week. */
  rates: Float64Array;
  /** Share of all pages in each part of the week. */
  profile: Float64Array;
}

/**
 * Pages a week per user and part of the week: lambda(u, b) = (c_u / W) (c_ub + m q_b) / (c_u + m), where c_ub
 * counts u's pages in part b, c_u their total, q_b the population's share of part b, W the log's span in weeks
 * and m the prior's pseudo-pages. A user's total rate is their own (c_u / W); only its spread over the week
 * is shrunk. m = 0 gives the raw counts.
 */
export function fitVisitRates(pages: readonly LoggedPage[], nUsers: number, prior = 8): VisitRates {
  const counts = new Float64Array(nUsers * WEEK_PARTS);
  const profile = new Float64Array(WEEK_PARTS);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of pages) {
    const b = weekPart(p.timeMs);
    counts[p.user * WEEK_PARTS + b] += 1;
    profile[b] += 1;
    first = Math.min(first, p.timeMs);
    last = Math.max(last, p.timeMs);
  }
  const total = pages.length;
  for (let b = 0; b < WEEK_PARTS; b++) profile[b] /= Math.max(total, 1);
  const weeks = Math.max(last - first, WEEK_MS / 7) / WEEK_MS;
  const rates = new Float64Array(nUsers * WEEK_PARTS);
  for (let u = 0; u < nUsers; u++) {
    let cu = 0;
    for (let b = 0; b < WEEK_PARTS; b++) cu += counts[u * WEEK_PARTS + b];
    if (cu === 0) continue;
    for (let b = 0; b < WEEK_PARTS; b++)
      rates[u * WEEK_PARTS + b] =
        ((cu / weeks) * (counts[u * WEEK_PARTS + b] + prior * profile[b])) / (cu + prior);
  }
  return { nUsers, weeks, rates, profile };
}

/** One seen slot of the log, as the choice model reads it. */
interface SeenRow {
  user: number;
  part: number;
  item: number;
  reward: number;
  weight: number;
}

function seenRows(pages: readonly LoggedPage[], nItems: number): SeenRow[] {
  const rows: SeenRow[] = [];
  for (const p of pages) {
    const part = weekPart(p.timeMs);
    for (let k = 0; k < Math.min(p.seen, p.items.length); k++)
      rows.push({
        user: p.user,
        part,
        item: p.items[k],
        reward: p.rewards[k] > 0 ? 1 : 0,
        weight: 1 / (nItems * p.propensities[k]),
      });
  }
  let sum = 0;
  for (const r of rows) sum += r.weight;
  for (const r of rows) r.weight *= rows.length / Math.max(sum, 1e-300);
  return rows;
}

/** The choice model: stream probability per (item, part of week) and an odds factor per user. */
export interface ChoiceModel {
  nItems: number;
  /** nItems x WEEK_PARTS. */
  rates: Float64Array;
  /** Log odds factor per user. */
  userLogOdds: Float64Array;
  /** Pseudo-rows of the shrinkage (chosen by cross-validation when several are offered). */
  prior: number;
}

const logit = (p: number) => Math.log(p / (1 - p));
const clampP = (p: number) => Math.min(Math.max(p, 1e-6), 1 - 1e-6);

/** Weighted two-level shrunken rates on the rows where `use` holds. */
export function fitChoice(
  rows: readonly SeenRow[],
  nItems: number,
  nUsers: number,
  prior: number,
  use: (i: number) => boolean = () => true,
): ChoiceModel {
  let sw = 0;
  let swr = 0;
  const itemW = new Float64Array(nItems);
  const itemR = new Float64Array(nItems);
  const cellW = new Float64Array(nItems * WEEK_PARTS);
  const cellR = new Float64Array(nItems * WEEK_PARTS);
  rows.forEach((r, i) => {
    if (!use(i)) return;
    sw += r.weight;
    swr += r.weight * r.reward;
    itemW[r.item] += r.weight;
    itemR[r.item] += r.weight * r.reward;
    cellW[r.item * WEEK_PARTS + r.part] += r.weight;
    cellR[r.item * WEEK_PARTS + r.part] += r.weight * r.reward;
  });
  const overall = clampP((swr + 0.5) / (sw + 1));
  const rates = new Float64Array(nItems * WEEK_PARTS);
  for (let a = 0; a < nItems; a++) {
    const item = (itemR[a] + prior * overall) / (itemW[a] + prior);
    for (let b = 0; b < WEEK_PARTS; b++) {
      const c = a * WEEK_PARTS + b;
      rates[c] = clampP((cellR[c] + prior * item) / (cellW[c] + prior));
    }
  }
  // The user factor: observed streams against those the item rates expect, shrunk by the same prior.
  const got = new Float64Array(nUsers);
  const expected = new Float64Array(nUsers);
  rows.forEach((r, i) => {
    if (!use(i)) return;
    got[r.user] += r.reward;
    expected[r.user] += rates[r.item * WEEK_PARTS + r.part];
  });
  const userLogOdds = new Float64Array(nUsers);
  for (let u = 0; u < nUsers; u++)
    userLogOdds[u] = Math.log((got[u] + prior * overall) / (expected[u] + prior * overall));
  return { nItems, rates, userLogOdds, prior };
}

export function choiceProbability(m: ChoiceModel, user: number, part: number, item: number): number {
  return 1 / (1 + Math.exp(-(logit(m.rates[item * WEEK_PARTS + part]) + m.userLogOdds[user])));
}

/** Importance-weighted k-fold log-loss of each prior; the smallest wins (ties: the stronger prior). */
export function chooseChoicePrior(
  rows: readonly SeenRow[],
  nItems: number,
  nUsers: number,
  priors: readonly number[],
  folds: number,
  seed: number,
): { prior: number; logLoss: Array<{ prior: number; logLoss: number }> } {
  const order = new Random(seed).shuffle(Array.from({ length: rows.length }, (_, i) => i));
  const fold = new Int32Array(rows.length);
  order.forEach((row, rank) => {
    fold[row] = rank % folds;
  });
  const scores = priors.map((prior) => {
    let loss = 0;
    for (let f = 0; f < folds; f++) {
      const m = fitChoice(rows, nItems, nUsers, prior, (i) => fold[i] !== f);
      rows.forEach((r, i) => {
        if (fold[i] !== f) return;
        const p = clampP(choiceProbability(m, r.user, r.part, r.item));
        loss -= r.weight * (r.reward * Math.log(p) + (1 - r.reward) * Math.log(1 - p));
      });
    }
    return { prior, logLoss: loss / Math.max(rows.length, 1) };
  });
  const best = scores.reduce((a, b) =>
    b.logLoss < a.logLoss || (b.logLoss === a.logLoss && b.prior > a.prior) ? b : a,
  );
  return { prior: best.prior, logLoss: scores };
}

export interface FittedPagesOptions {
  nUsers: number;
  nItems: number;
  /** Slots of a simulated page (default: the log's widest page, at most nItems). */
  slots?: number;
  /** Slots seen without scrolling (default 3). */
  initiallyVisible?: number;
  /** Pseudo-pages of the visit model's weekly profile prior (default 8). */
  visitPrior?: number;
  /** Candidate pseudo-rows of the choice model's shrinkage (default 1 to 1000). */
  choicePriors?: readonly number[];
  seed?: number;
  itemLabels?: readonly string[];
}

export interface FittedPagesReport {
  pages: number;
  seenSlots: number;
  streams: number;
  weeks: number;
  /** Share of pages per part of the week. */
  weekProfile: number[];
  choicePrior: number;
  crossValidation: Array<{ prior: number; logLoss: number }>;
  /** The log's streams per seen slot, and the model's for the same slots (IPW-free: a calibration check). */
  loggedStreamRate: number;
  modelStreamRate: number;
}

export function fittedPagesEnvironment(
  pages: readonly LoggedPage[],
  options: FittedPagesOptions,
): { env: BanditEnvironment; fit: FittedPagesReport; visits: VisitRates; choice: ChoiceModel } {
  const { nUsers, nItems } = options;
  if (pages.length === 0) throw new RangeError("the log has no pages to fit a simulator to");
  const visits = fitVisitRates(pages, nUsers, options.visitPrior ?? 8);
  const rows = seenRows(pages, nItems);
  const cv = chooseChoicePrior(
    rows,
    nItems,
    nUsers,
    options.choicePriors ?? [1, 3, 10, 30, 100, 300, 1000],
    5,
    options.seed ?? 1,
  );
  const choice = fitChoice(rows, nItems, nUsers, cv.prior);
  let widest = 0;
  for (const p of pages) widest = Math.max(widest, p.items.length);
  const slots = Math.min(options.slots ?? widest, nItems);
  // Visitors are (user, part of week) cells; a cell nobody visits keeps weight 0 and is never drawn.
  const cells = nUsers * WEEK_PARTS;
  const logits = new Float64Array(cells * nItems);
  const dim = WEEK_PARTS + 1;
  const features = new Float64Array(cells * dim);
  const segments = new Int32Array(cells);
  for (let u = 0; u < nUsers; u++)
    for (let b = 0; b < WEEK_PARTS; b++) {
      const c = u * WEEK_PARTS + b;
      for (let a = 0; a < nItems; a++)
        logits[c * nItems + a] = logit(choice.rates[a * WEEK_PARTS + b]) + choice.userLogOdds[u];
      features[c * dim + b] = 1;
      features[c * dim + WEEK_PARTS] = 1;
      segments[c] = b;
    }
  const env = tableEnvironment({
    name: "fitted",
    nUsers: cells,
    nArms: nItems,
    logits,
    slots,
    initiallyVisible: options.initiallyVisible ?? 3,
    feedback: "cascade",
    dim,
    features,
    segments,
    nSegments: WEEK_PARTS,
    visitWeights: visits.rates,
    armLabels: options.itemLabels,
  });
  let streams = 0;
  let model = 0;
  for (const r of rows) {
    streams += r.reward;
    model += choiceProbability(choice, r.user, r.part, r.item);
  }
  return {
    env,
    visits,
    choice,
    fit: {
      pages: pages.length,
      seenSlots: rows.length,
      streams,
      weeks: visits.weeks,
      weekProfile: Array.from(visits.profile),
      choicePrior: cv.prior,
      crossValidation: cv.logLoss,
      loggedStreamRate: streams / Math.max(rows.length, 1),
      modelStreamRate: model / Math.max(rows.length, 1),
    },
  };
}
