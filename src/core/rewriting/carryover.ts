/**
 * Dialogue carryover (issue 19): a turn that leans on earlier turns ("is it treatable?", "what about her
 * other albums?", "and in Paris?") rewritten into a self-contained request from the dialogue so far. The
 * online rewriter's contextual layer: the Alexa keynote's "contextual information (previous dialogue
 * turns)", here by rules over the words, no model.
 *
 * - Entities: the noun phrases of earlier turns (runs of content words; names keep their case), each with
 *   a salience that grows every time a turn mentions it and fades with distance, so a dialogue's topic
 *   ("throat cancer") outlasts a passing mention.
 * - Pronoun carryover: "it"/"its" take the most salient singular entity, "they"/"their"/"them" a plural
 *   one, "he"/"she"/"his"/"her" a name; possessives become "X's".
 * - Ellipsis: "what about X?", "how about X?", "and X?" repeat the previous request with X in place of its
 *   entity ("and in Paris?" after "weather in London" -> "weather in Paris").
 * - A question that names nothing of its own ("what are the main themes?") gets the topic appended
 *   ("... of the Neverending Story film"); commands do not ("put on the martian" names a title).
 *
 * `lastEntitySubstitution` is the baseline the issue measures against: every pronoun replaced by the last
 * noun phrase of the previous turn, nothing else.
 */

/** Words that are never part of an entity's name: function words, question words, asking verbs. */
const STOP = new Set(
  (
    "a an the and or but if then than so as at by for from in into of off on onto out over to up with about " +
    "above after against along among around before behind below beneath beside between beyond during " +
    "except inside near since through throughout toward towards under until upon within without via " +
    "what which who whom whose when where why how whats whos wheres hows " +
    "is are was were be been being am do does did done doing have has had having can could shall should " +
    "will would may might must ought isnt arent wasnt werent dont doesnt didnt cant couldnt wont wouldnt " +
    "i me my mine myself you your yours yourself we us our ours ourselves " +
    "it its itself they them their theirs themselves he him his himself she her hers herself this that " +
    "these those there here some any all each every both either neither other another such same " +
    "more most less least much many few very too also just only even still again ever never not no yes " +
    "tell describe explain give show list find know let lets please say talk mean means go get make " +
    "like want need play put read watch listen start open one ones thing things something anything kind " +
    "sang sing sings sung wrote write writes written made make directed played plays released " +
    "kinds type types way ways lot lots well really s"
  ).split(" "),
);

const SINGULAR = new Set(["it", "its", "itself", "this", "that"]);
const PLURAL = new Set(["they", "them", "their", "theirs", "themselves", "these", "those"]);
const PERSON = new Set(["he", "him", "his", "himself", "she", "her", "hers", "herself"]);
const POSSESSIVE = new Set(["its", "their", "theirs", "his", "her", "hers"]);
/** Pronouns replaced by the lexical baseline (the demonstratives "this"/"that" are too often determiners). */
const BASELINE_PRONOUNS = new Set(
  [...SINGULAR, ...PLURAL, ...PERSON].filter((w) => w !== "this" && w !== "that"),
);

/** A word of an utterance with its lower-case form. */
interface Word {
  raw: string;
  low: string;
}

function words(text: string): Word[] {
  return (text.match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []).map((raw) => ({
    raw,
    low: raw
      .toLowerCase()
      .replace(/['’]s$/, "")
      .replace(/['’]/g, ""),
  }));
}

/** A noun phrase of an earlier turn. */
export interface DialogueEntity {
  /** As written ("the Neverending Story film" -> "Neverending Story film"). */
  text: string;
  /** Lower-case content words. */
  key: string;
  plural: boolean;
  /** Has a capitalized word past the first of its turn: a name. */
  named: boolean;
  /** Follows "by": a creator ("play hello by adele"), the antecedent of "her", not of "it". */
  creator: boolean;
}

function isPluralWord(w: string): boolean {
  return w.length > 3 && w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is");
}

/** The noun phrases of one utterance: maximal runs of content words, in order. */
export function nounPhrases(text: string): DialogueEntity[] {
  const ws = words(text);
  const out: DialogueEntity[] = [];
  let run: Word[] = [];
  let runStart = 0;
  const flush = () => {
    if (run.length > 0) {
      const last = run[run.length - 1].low;
      // "the Neverending Story film": the article stays with the name, as people write it.
      const article =
        runStart > 0 && ws[runStart - 1].low === "the" ? `${ws[runStart - 1].raw.toLowerCase()} ` : "";
      out.push({
        text: article + run.map((w) => w.raw.replace(/[?.!,;:]+$/, "")).join(" "),
        key: run.map((w) => w.low).join(" "),
        plural: isPluralWord(last),
        named: run.some((w, k) => (runStart + k > 0 || run.length > 1) && /^\p{Lu}/u.test(w.raw)),
        creator: runStart > 0 && ws[runStart - 1].low === "by",
      });
    }
    run = [];
  };
  ws.forEach((w, k) => {
    if (STOP.has(w.low) || /^\d+$/.test(w.low)) flush();
    else {
      if (run.length === 0) runStart = k;
      run.push(w);
    }
  });
  flush();
  return out;
}

/** What carryover did to a turn. */
export interface CarryoverResult {
  text: string;
  /**
   * "pronoun", "ellipsis", "topic" (appended), "repeat" (the last play request again, whole), or null when
   * the turn stood on its own.
   */
  by: "pronoun" | "ellipsis" | "topic" | "repeat" | null;
  /** The entity carried over, if any. */
  entity: string | null;
}

/** A request to play again what was just asked for: "play it again", "put that on", "again", "replay". */
const REPEAT =
  /^\s*(?:please\s+)?(?:(?:play|put on|start|replay|put)\s+(?:it|that|this|the same(?:\s+(?:one|song|track|thing))?)(?:\s+on)?|replay|again|once more|one more time)(?:\s+(?:again|once more|one more time|now|please))*\s*[.!?]*\s*$/i;

/** A turn that asks for something to be played, and the verb it starts with. */
const PLAY_COMMAND = /^\s*(?:please\s+)?(?:play|put on|start|listen to|watch|read)\s+/i;

/** Salience fades by this factor per turn of distance. */
const FADE = 0.5;

/**
 * The entities of the dialogue so far with their salience: each turn that mentions every word of the
 * phrase adds FADE^distance, so a topic named again and again outlasts a passing mention, while a newly
 * introduced one ("tell me about lung cancer") takes over from the next turn on.
 */
function salientEntities(
  history: readonly string[],
): Array<DialogueEntity & { salience: number; turn: number }> {
  const all: Array<DialogueEntity & { salience: number; turn: number }> = [];
  history.forEach((t, i) => {
    for (const e of nounPhrases(t)) all.push({ ...e, salience: 0, turn: i });
  });
  const n = history.length;
  const mentions = history.map((t) => new Set(words(t).map((w) => w.low)));
  for (const e of all) {
    const keyWords = e.key.split(" ");
    for (let i = 0; i < n; i++) {
      if (keyWords.every((w) => mentions[i].has(w))) e.salience += FADE ** (n - 1 - i);
    }
    // A longer phrase names its thing more precisely; the first turn usually names the topic.
    e.salience += 0.05 * keyWords.length + (e.turn === 0 ? 0.1 : 0);
  }
  return all;
}

/** The most salient entity fitting a pronoun (number, person), most recent first among ties. */
function pick(
  entities: ReturnType<typeof salientEntities>,
  want: "singular" | "plural" | "person" | "any",
): DialogueEntity | null {
  let best: (typeof entities)[number] | null = null;
  for (const e of entities) {
    if (want === "plural" && !e.plural) continue;
    if (want === "singular" && (e.plural || e.creator)) continue;
    if (want === "person" && !e.named && !e.creator) continue;
    if (
      !best ||
      e.salience > best.salience + 1e-9 ||
      (Math.abs(e.salience - best.salience) <= 1e-9 && e.turn >= best.turn)
    )
      best = e;
  }
  if (!best && want !== "any") return pick(entities, "any");
  return best;
}

function replaceWord(text: string, raw: string, by: string): string {
  const re = new RegExp(`\\b${escapeRegExp(raw)}\\b`);
  return text.replace(re, by);
}

const ELLIPSIS = /^\s*(?:(?:and\s+)?(?:what|how)\s+about|and)\s+(.+?)\s*[?.!]*\s*$/i;

/** Words that say a turn refers back without naming anything: "the next one", "the main themes". */
const GENERIC_HEADS = /^(?:the|its|their)\b/i;

/**
 * Rewrites `turn` into a self-contained request, given the earlier turns of the dialogue (best already
 * self-contained: pass earlier results' `text`, so an entity carries through several pronoun turns).
 */
export function carryOver(turn: string, history: readonly string[]): CarryoverResult {
  if (history.length === 0) return { text: turn, by: null, entity: null };
  // "play it again" means the last thing asked to be played, creator and kind included: substituting a
  // noun phrase gave "play hello again" (the creator lost, "again" read as part of a title) and, after
  // "play rolling in the deep", "play the deep again".
  if (REPEAT.test(turn)) {
    for (let k = history.length - 1; k >= 0; k--) {
      const command = PLAY_COMMAND.exec(history[k]);
      if (command && !REPEAT.test(history[k]))
        return { text: history[k], by: "repeat", entity: history[k].slice(command[0].length).trim() };
    }
  }
  const entities = salientEntities(history);
  if (entities.length === 0) return { text: turn, by: null, entity: null };
  const ws = words(turn);

  // Ellipsis: the previous request again, with the new phrase in place of its entity.
  const ell = ELLIPSIS.exec(turn);
  if (ell && ws.length <= 8) {
    const previous = history[history.length - 1];
    const prevEntities = nounPhrases(previous);
    const replacement = ell[1].replace(/^(?:for|in|on|at|with)\s+/i, "");
    const target = prevEntities[prevEntities.length - 1];
    // "and in Paris?" after "what's the weather in London": the same request about another place.
    if (target && /^(?:in|on|at|for|with)\s/i.test(ell[1]) && nounPhrases(replacement).length > 0) {
      const replaced = previous.replace(
        new RegExp(`\\b(in|on|at|for|with)\\s+${escapeRegExp(target.text)}`, "i"),
        `$1 ${replacement}`,
      );
      if (replaced !== previous) return { text: replaced, by: "ellipsis", entity: replacement };
    }
  }

  // Pronouns.
  let text = turn;
  let carried: DialogueEntity | null = null;
  for (const w of ws) {
    const low = w.raw.toLowerCase();
    const want = SINGULAR.has(low)
      ? "singular"
      : PLURAL.has(low)
        ? "plural"
        : PERSON.has(low)
          ? "person"
          : null;
    if (!want) continue;
    // "this"/"that" before a noun are determiners ("that film"), not pronouns.
    if ((low === "this" || low === "that") && !isStandaloneDemonstrative(ws, w)) continue;
    // An antecedent earlier in the same turn ("who are the Hamilton Electors and what were they ...").
    const before = nounPhrases(turn.slice(0, turn.indexOf(w.raw))).filter((p) => p.named);
    const e = before.length > 0 && want !== "singular" ? before[before.length - 1] : pick(entities, want);
    if (!e) continue;
    carried ??= e;
    text = replaceWord(text, w.raw, POSSESSIVE.has(low) ? `${e.text}'s` : e.text);
  }
  if (carried) return { text, by: "pronoun", entity: carried.text };

  // A turn that names nothing new: the topic appended.
  const own = nounPhrases(turn);
  const known = new Set(entities.map((e) => e.key));
  const namesSomething = own.some((e) => e.named || known.has(e.key));
  const generic = GENERIC_HEADS.test(turn.replace(/^\s*\w+\s+(?:\w+\s+)?/, ""));
  // "what about environmental factors?": the same question about another aspect of the topic.
  const aspect = ell !== null && ws.length <= 8;
  // Only questions: a command's "the" usually starts a title ("put on the martian").
  const question =
    /^\s*(?:what|whats|who|whos|where|when|why|how|which|is|are|was|were|do|does|did|can|could)\b/i.test(
      turn,
    );
  if (question && !namesSomething && own.length <= 2 && (generic || aspect)) {
    const topic = pick(entities, "any");
    if (topic) {
      const stripped = turn.replace(/\s*[?.!]+\s*$/, "");
      const mark = turn.match(/[?.!]+\s*$/)?.[0].trim() ?? "";
      return { text: `${stripped} of ${topic.text}${mark}`, by: "topic", entity: topic.text };
    }
  }
  return { text: turn, by: null, entity: null };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isStandaloneDemonstrative(ws: Word[], w: Word): boolean {
  const k = ws.indexOf(w);
  const next = ws[k + 1];
  return next === undefined || STOP.has(next.low);
}

/**
 * The baseline: every pronoun ("it", "they", "her", ...) replaced by the last noun phrase of the previous
 * turn as the user said it; no ellipsis, no topic.
 */
export function lastEntitySubstitution(turn: string, history: readonly string[]): string {
  for (let i = history.length - 1; i >= 0; i--) {
    const phrases = nounPhrases(history[i]);
    if (phrases.length === 0) continue;
    const last = phrases[phrases.length - 1].text;
    let text = turn;
    for (const w of words(turn)) {
      const low = w.raw.toLowerCase();
      if (BASELINE_PRONOUNS.has(low))
        text = replaceWord(text, w.raw, POSSESSIVE.has(low) ? `${last}'s` : last);
    }
    return text;
  }
  return turn;
}
