/**
 * Dialogue carryover judged against assessors' rewrites (TREC CAsT: each turn as the user said it in
 * context, and a self-contained rewrite by an assessor). Per turn: token-level F1 and exact match of a
 * rewrite against the manual one, and whether the words the assessor had to add (the missing entity) are
 * all there. Three rewriters: the raw utterance, last-entity substitution, and `carryOver`.
 */
import { normalizeText } from "../matching/normalize.js";
import { carryOver, lastEntitySubstitution } from "../rewriting/carryover.js";

export interface DialogueTurnRow {
  /** Dialogue id (year and topic). */
  dialogue: string;
  turn: number;
  raw: string;
  manual: string;
}

export interface RewriterScore {
  tokenF1: number;
  exactMatch: number;
  /** Over turns whose manual rewrite adds content words: the share whose rewrite has all of them. */
  entityRecovered: number;
}

export interface CarryoverReport {
  turns: number;
  /** Turns whose manual rewrite differs from the raw utterance. */
  dependentTurns: number;
  raw: RewriterScore;
  lastEntity: RewriterScore;
  carryover: RewriterScore;
}

const tokens = (s: string) => normalizeText(s).split(" ").filter(Boolean);

/** Bag-of-tokens F1 of a candidate against a reference (SQuAD-style, over normalized words). */
export function tokenF1(candidate: string, reference: string): number {
  const c = tokens(candidate);
  const r = tokens(reference);
  if (c.length === 0 || r.length === 0) return c.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let overlap = 0;
  for (const t of c) {
    const k = counts.get(t) ?? 0;
    if (k > 0) {
      overlap++;
      counts.set(t, k - 1);
    }
  }
  if (overlap === 0) return 0;
  const p = overlap / c.length;
  const rec = overlap / r.length;
  return (2 * p * rec) / (p + rec);
}

/** Words of the manual rewrite that the raw turn lacks, function words aside. */
const FUNCTION = new Set([
  "the",
  "a",
  "an",
  "of",
  "s",
  "and",
  "in",
  "for",
  "to",
  "on",
  "with",
  "is",
  "are",
  "its",
]);
function addedWords(raw: string, manual: string): string[] {
  const have = new Set(tokens(raw));
  return [...new Set(tokens(manual))].filter((t) => !have.has(t) && !FUNCTION.has(t));
}

function score(rows: readonly DialogueTurnRow[], outputs: readonly string[]): RewriterScore {
  let f1 = 0;
  let exact = 0;
  let needing = 0;
  let recovered = 0;
  rows.forEach((row, i) => {
    f1 += tokenF1(outputs[i], row.manual);
    if (tokens(outputs[i]).join(" ") === tokens(row.manual).join(" ")) exact++;
    const added = addedWords(row.raw, row.manual);
    if (added.length > 0) {
      needing++;
      const got = new Set(tokens(outputs[i]));
      if (added.every((w) => got.has(w))) recovered++;
    }
  });
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return {
    tokenF1: r(rows.length ? f1 / rows.length : 0),
    exactMatch: r(rows.length ? exact / rows.length : 0),
    entityRecovered: r(needing ? recovered / needing : 0),
  };
}

/**
 * Runs the three rewriters over dialogues (rows grouped by `dialogue`, in turn order). Carryover sees its
 * own earlier rewrites as the history, as a live assistant would; the baseline sees the raw turns.
 */
export function evaluateCarryover(rows: readonly DialogueTurnRow[]): CarryoverReport {
  const ordered = [...rows].sort((a, b) =>
    a.dialogue < b.dialogue ? -1 : a.dialogue > b.dialogue ? 1 : a.turn - b.turn,
  );
  const baseline: string[] = [];
  const ours: string[] = [];
  let rawHistory: string[] = [];
  let ownHistory: string[] = [];
  let current = "";
  for (const row of ordered) {
    if (row.dialogue !== current) {
      current = row.dialogue;
      rawHistory = [];
      ownHistory = [];
    }
    baseline.push(lastEntitySubstitution(row.raw, rawHistory));
    const out = carryOver(row.raw, ownHistory).text;
    ours.push(out);
    rawHistory.push(row.raw);
    ownHistory.push(out);
  }
  return {
    turns: ordered.length,
    dependentTurns: ordered.filter((r) => tokens(r.raw).join(" ") !== tokens(r.manual).join(" ")).length,
    raw: score(
      ordered,
      ordered.map((r) => r.raw),
    ),
    lastEntity: score(ordered, baseline),
    carryover: score(ordered, ours),
  };
}

/** The shared TSV (`year topic turn raw_utterance manual_rewrite`, with a header) as rows; throws naming a bad line. */
export function parseCastRows(tsv: string): Array<DialogueTurnRow & { year: string }> {
  const lines = tsv.split(/\r?\n/).filter((l) => l.trim() !== "");
  const out: Array<DialogueTurnRow & { year: string }> = [];
  lines.slice(1).forEach((line, k) => {
    const [year, topic, turn, raw, manual] = line.split("\t");
    if (
      !year ||
      !topic ||
      !turn ||
      raw === undefined ||
      manual === undefined ||
      !Number.isInteger(Number(turn))
    )
      throw new Error(`line ${k + 2}: expected year, topic, turn, raw_utterance, manual_rewrite`);
    out.push({
      year,
      dialogue: `${year}-${topic}`,
      turn: Number(turn),
      raw: raw.trim(),
      manual: manual.trim(),
    });
  });
  return out;
}
