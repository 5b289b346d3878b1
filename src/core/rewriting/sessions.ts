/**
 * From a stream of turns to reformulation chains (methods.md 2a, steps 1 and 4). A session is one user on
 * one device with no pause longer than the gap; a chain runs over consecutive turns of a session and ends
 * at the first turn that was not defective (-> SUCCESS), or at the session's last turn when every turn was
 * defective (-> FAILURE). Whether a turn was defective comes from outside (a defect detector, or for logs
 * without any other signal the quick-follow-up rule of `labelByQuickFollowUp`).
 */
import { normalizeText } from "../matching/normalize.js";

/** A turn with its defect label, as the chain builder needs it. `VoiceTurn & { defective }` fits. */
export interface LabelledTurn {
  user: string;
  device?: string;
  timeMs: number;
  /** The text that was executed: the rewrite when the assistant rewrote the request. */
  text: string;
  defective: boolean;
  /** What the user said when the assistant served a rewrite instead. */
  rewrittenFrom?: string;
}

/** A turn without a label, for `labelByQuickFollowUp`. */
export interface UnlabelledTurn {
  user: string;
  device?: string;
  timeMs: number;
  text: string;
}

export interface ChainStep {
  /** Normalized utterance: a transient state of the Markov chain. */
  state: string;
  /** The step was reached from the previous one by the assistant's rewrite, not by the user rephrasing. */
  byRewrite: boolean;
}

export type ChainOutcome = "SUCCESS" | "FAILURE";

export interface ReformulationChain {
  user: string;
  steps: ChainStep[];
  outcome: ChainOutcome;
}

/** methods.md 2a: consecutive voice turns at most 45-60 s apart belong together. */
export const defaultSessionGapMs = 60_000;

export interface SessionOptions {
  /** Longest pause inside a session, in ms. */
  gapMs?: number;
}

/**
 * Calls `visit(list, from, to)` for each session, `list[from..to)`: turns grouped by user and device,
 * each group ordered by time (stable, so equal times keep input order), cut where the pause exceeds the
 * gap. Groups come in order of first appearance. Ranges instead of arrays: logs have many short sessions.
 */
function eachSession<T extends UnlabelledTurn>(
  turns: readonly T[],
  gapMs: number,
  visit: (list: T[], from: number, to: number) => void,
): void {
  const byUser = new Map<string, Map<string, T[]>>();
  for (const t of turns) {
    let byDevice = byUser.get(t.user);
    if (!byDevice) {
      byDevice = new Map();
      byUser.set(t.user, byDevice);
    }
    const device = t.device ?? "";
    let list = byDevice.get(device);
    if (!list) {
      list = [];
      byDevice.set(device, list);
    }
    list.push(t);
  }
  for (const byDevice of byUser.values()) {
    for (const list of byDevice.values()) {
      list.sort((a, b) => a.timeMs - b.timeMs);
      let from = 0;
      for (let k = 1; k < list.length; k++) {
        if (list[k].timeMs - list[k - 1].timeMs > gapMs) {
          visit(list, from, k);
          from = k;
        }
      }
      visit(list, from, list.length);
    }
  }
}

/**
 * Sessions: one user on one device, no pause longer than the gap. Ordered by their first turn's time, ties
 * by user and device, so the result does not depend on how the input interleaves users.
 */
export function splitSessions<T extends UnlabelledTurn>(
  turns: readonly T[],
  options: SessionOptions = {},
): T[][] {
  const sessions: T[][] = [];
  eachSession(turns, options.gapMs ?? defaultSessionGapMs, (list, from, to) =>
    sessions.push(list.slice(from, to)),
  );
  const key = (t: T) => `${t.user}\u0000${t.device ?? ""}`;
  return sessions.sort((a, b) => {
    if (a[0].timeMs !== b[0].timeMs) return a[0].timeMs - b[0].timeMs;
    const ka = key(a[0]);
    const kb = key(b[0]);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * Cuts sessions into reformulation chains over normalized utterances, grouped by user and device in order
 * of first appearance. A rewritten turn becomes two steps, what the user said and then the rewrite (flagged
 * `byRewrite`), so that the rewrite's outcome is credited to the edge source -> rewrite (the
 * "superposition" of methods.md 2b) instead of the source vanishing from the logs once a rewrite is live.
 * Turns whose text normalizes to nothing are skipped.
 */
export function reformulationChains(
  turns: readonly LabelledTurn[],
  options: SessionOptions = {},
): ReformulationChain[] {
  const chains: ReformulationChain[] = [];
  eachSession(turns, options.gapMs ?? defaultSessionGapMs, (list, from, to) => {
    let steps: ChainStep[] = [];
    for (let k = from; k < to; k++) {
      const turn = list[k];
      const state = normalizeText(turn.text);
      if (state === "") continue;
      const source = turn.rewrittenFrom === undefined ? "" : normalizeText(turn.rewrittenFrom);
      if (source !== "" && source !== state) {
        steps.push({ state: source, byRewrite: false });
        steps.push({ state, byRewrite: true });
      } else {
        steps.push({ state, byRewrite: false });
      }
      if (!turn.defective) {
        chains.push({ user: turn.user, steps, outcome: "SUCCESS" });
        steps = [];
      }
    }
    if (steps.length > 0) chains.push({ user: list[from].user, steps, outcome: "FAILURE" });
  });
  return chains;
}

/**
 * Defect labels for logs that only say what was asked and when (search logs, where every row had a click
 * and clicks therefore separate nothing): a turn is defective when the same user's next, different request
 * follows within `gapMs`. Consecutive repeats of the same normalized text within the gap are one turn
 * (a search log repeats a query once per click), kept at the time of the last repeat so the pause to the
 * next request is measured from the user's latest activity. Output is grouped by user and device (in
 * order of first appearance), each in time order.
 */
export function labelByQuickFollowUp(turns: readonly UnlabelledTurn[], gapMs: number): LabelledTurn[] {
  const out: LabelledTurn[] = [];
  eachSession(turns, gapMs, (list, from, to) => {
    const merged: { turn: UnlabelledTurn; norm: string; timeMs: number }[] = [];
    for (let k = from; k < to; k++) {
      const t = list[k];
      const norm = normalizeText(t.text);
      if (norm === "") continue;
      const last = merged[merged.length - 1];
      if (last && last.norm === norm) last.timeMs = t.timeMs;
      else merged.push({ turn: t, norm, timeMs: t.timeMs });
    }
    // Within a session every pause is <= gapMs, so every turn but the last was quickly followed.
    merged.forEach((m, k) => {
      const labelled: LabelledTurn = {
        user: m.turn.user,
        timeMs: m.timeMs,
        text: m.turn.text,
        defective: k < merged.length - 1,
      };
      if (m.turn.device !== undefined) labelled.device = m.turn.device;
      out.push(labelled);
    });
  });
  return out;
}

/**
 * One row of the AOL query log TSV (`anon_id  query  query_time  click_url`, time "YYYY-MM-DD HH:MM:SS",
 * taken as UTC) as a turn; null for the header or a malformed line.
 */
export function turnFromAolLine(line: string): UnlabelledTurn | null {
  const cols = line.split("\t");
  if (cols.length < 3) return null;
  const [user, text, time] = cols;
  const timeMs = Date.parse(`${time.replace(" ", "T")}Z`);
  if (!user || !text || Number.isNaN(timeMs)) return null;
  return { user, timeMs, text };
}
