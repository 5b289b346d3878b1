import type { PlayContext, PlayEvent, RequestEvent, ResponseKind } from "../../../schema/events.js";
import { Random } from "../../random.js";
import type { FailureStage, TurnLabel } from "../../voice/turn.js";
import { affinityLogit } from "../model.js";
import { sigmoid } from "../sampling.js";
import { simulateWorld } from "../world.js";
import { CONFUSIONS, hear } from "./asr.js";
import {
  type AssistantResponse,
  type AssistantState,
  assistantRespond,
  buildAssistant,
  INTENT_KINDS,
} from "./assistant.js";
import { buildVoiceCatalogue, type VoiceCatalogue } from "./catalogue.js";
import { playContext } from "./context.js";
import { mixSeed } from "./hash.js";
import { MinHeap } from "./min-heap.js";
import { type ResolvedVoiceOptions, resolveVoiceOptions, type VoicePolicy } from "./options.js";
import { type Perceived, renderPlan, rephrasePlan, type UtterancePlan } from "./phrasing.js";
import { type PlayReaction, type PlaySituation, reactToPlay } from "./reactions.js";
import { type PlannedSession, planSessions, STREAM } from "./schedule.js";
import type { FailureCause, Reaction, VoiceTurnTruth } from "./truth.js";
import { buildVoiceUsers, popularityCdfs, type VoiceUser } from "./users.js";
import type { SimulateVoiceOptions, VoiceModel, VoiceWorld } from "./world-types.js";

export type { SimulateVoiceOptions, VoiceModel, VoiceUserInfo, VoiceWorld } from "./world-types.js";

/** Latency from the end of the request to the start of the answer. */
const LATENCY_MS: [number, number] = [800, 2200];
/** Length of a spoken answer that plays nothing. */
const ANSWER_MS = 2500;
/** Pause before the next request after a success, and after giving up. */
const NEXT_AFTER_SUCCESS_MS: [number, number] = [3000, 60_000];
const NEXT_AFTER_GIVE_UP_MS: [number, number] = [30_000, 300_000];
/** A new turn must start this long before the user's next session. */
const SESSION_MARGIN_MS = 60_000;
/** Share of result failures that are errors; the rest play the wrong version. */
const RESULT_ERROR_SHARE = 0.6;
/** After "that is not available" people try again less. */
const UNAVAILABLE_RETRY = 0.4;
/** ASR of a false wake: far-field, half-heard speech. */
const FALSE_WAKE_SLIPS = 0.3;

interface Chain {
  plan: UtterancePlan;
  attempt: number;
  maxTries: number;
  prev: string | null;
}

/** A session being played out: its plan, random streams, clock and current request chain. */
interface Run {
  s: PlannedSession;
  pipe: Random;
  react: Random;
  next: number;
  request: number;
  chain: Chain | null;
  turn: number;
}

interface Sim {
  o: ResolvedVoiceOptions;
  cat: VoiceCatalogue;
  users: VoiceUser[];
  userFactors: Float32Array;
  assistant: AssistantState;
  policy: VoicePolicy | undefined;
  requests: RequestEvent[];
  plays: PlayEvent[];
  truth: VoiceTurnTruth[];
}

/**
 * A seeded voice world: users with devices and habits talk to a simulated assistant (wake word, ASR, NLU,
 * entity resolution, result), which fails at configurable rates in realistic ways; users barge in,
 * rephrase and give up; every turn carries its ground truth. Built on simulateWorld's catalogue and true
 * tastes. Turns are played out in global time order, so a policy sees and rewrites them as a live system
 * would. Deterministic given the seed (and the policy); no I/O.
 */
export function simulateVoice(options: SimulateVoiceOptions = {}): VoiceWorld {
  const { policy, ...rest } = options;
  const o = resolveVoiceOptions(rest);
  const seeds = new Random(mixSeed(o.seed, 0));
  // Only the listening world's catalogue and users are needed, not its plays: a vanishing session rate.
  const base = simulateWorld({
    users: o.users,
    items: o.items,
    days: 1,
    sessionsPerDay: 1e-12,
    seed: o.seed,
  });
  const cat = buildVoiceCatalogue(new Random(seeds.nextUint32()), base);
  const userFactors = base.truth.userFactors;
  const users = buildVoiceUsers(
    new Random(seeds.nextUint32()),
    cat,
    base.truth.users,
    userFactors,
    o.quirkShare,
  );
  const assistant = buildAssistant(cat.items, cat.bias, {
    seed: seeds.nextUint32(),
    nluErrorRate: o.nluErrorRate,
    erErrorRate: o.erErrorRate,
    unavailableRate: o.unavailableRate,
  });
  const titleWords = [
    ...new Set(cat.titles.flatMap((t) => t.toLowerCase().split(" ")).filter((w) => /^[a-z]{4,}$/.test(w))),
  ].sort();
  const sessions = planSessions({ o, cat, users, userFactors, cdfs: popularityCdfs(cat), titleWords });

  const sim: Sim = { o, cat, users, userFactors, assistant, policy, requests: [], plays: [], truth: [] };
  // Runs by next turn time, then by session order (deterministic ties).
  const heap = new MinHeap<Run>((a, b) => a.next < b.next || (a.next === b.next && a.s.order < b.s.order));
  let nextSession = 0;
  for (;;) {
    const top = heap.peek();
    if (nextSession < sessions.length && (top === undefined || sessions[nextSession].start <= top.next)) {
      const s = sessions[nextSession++];
      heap.push({
        s,
        pipe: new Random(mixSeed(s.seed, STREAM.pipeline)),
        react: new Random(mixSeed(s.seed, STREAM.reaction)),
        next: s.start,
        request: 0,
        chain: null,
        turn: 0,
      });
      continue;
    }
    const run = heap.pop();
    if (run === undefined) break;
    if (playTurn(sim, run)) heap.push(run);
  }
  sim.plays.sort((a, b) => (a.endTime < b.endTime ? -1 : a.endTime > b.endTime ? 1 : 0));

  return {
    catalogue: cat.items,
    requests: sim.requests,
    plays: sim.plays,
    truth: sim.truth,
    users: users.map((u) => ({
      id: u.id,
      devices: u.devices,
      quirks: u.quirks.map((q) => ({ type: q.type, item: cat.ids[q.item], phrase: q.phrase })),
    })),
    days: o.days,
    startDate: o.startDate,
    options: o,
    model: {
      users: base.truth.users,
      items: cat.ids,
      dim: cat.dim,
      userFactors,
      itemFactors: cat.factors,
      itemBias: cat.bias,
    },
    assistant,
    confusions: CONFUSIONS,
    driftItems: cat.driftItems.map((i) => cat.ids[i]),
  };
}

/** True affinity a(u, i) in [0, 1] of a voice world's model, by user and item index. */
export function voiceAffinity(model: VoiceModel, userIndex: number, itemIndex: number): number {
  return sigmoid(
    affinityLogit(model.userFactors, userIndex, model.itemFactors, model.itemBias, itemIndex, model.dim),
  );
}

/** Plays one turn of a run; returns whether the session has another turn (at run.next). */
function playTurn(sim: Sim, run: Run): boolean {
  const { o, cat, assistant } = sim;
  const { s } = run;
  const user = sim.users[s.user];
  const t = run.next;
  const requestId = `${s.id}-t${run.turn++}`;
  const context = playContext(s.ctx);
  const u01 = (range: [number, number], r: Random) => range[0] + (range[1] - range[0]) * r.next();

  if (s.falseWake !== null) {
    const heard = hear(run.pipe, s.falseWake, {
      randomRate: FALSE_WAKE_SLIPS,
      systematicRate: 0,
      withCreator: false,
      clear: false,
    });
    const confidence = Math.round((0.1 + 0.45 * run.pipe.next()) * 1000) / 1000;
    const { text, rewrittenFrom } = rewrite(sim, user.id, s.device.id, t, heard.text, confidence, context);
    const response = assistantRespond(text, context, assistant, confidence);
    const latency = Math.round(u01(LATENCY_MS, run.pipe));
    let played: PlayReaction | null = null;
    if (response.responseKind === "play" && response.resolvedItem !== null) {
      const item = assistant.itemIndex.get(response.resolvedItem)!;
      played = reactToPlay(run.react, "false-wake", 0, cat.lengthMs[item], cat.kinds[item], o.bargeInRate);
      emitPlay(sim, requestId, user.id, item, t + latency, played, text, context);
    }
    emitRequest(sim, {
      requestId,
      user: user.id,
      device: s.device.id,
      t,
      text,
      rewrittenFrom,
      asrConfidence: confidence,
      response,
      responseKind: response.responseKind,
      played,
      context,
    });
    sim.truth.push({
      requestId,
      sessionId: s.id,
      intendedItem: null,
      spokenText: s.falseWake,
      failedStage: "FALSE_WAKE",
      label: "FALSE_WAKE",
      defective: response.responseKind !== "none",
      rephraseOf: null,
      cause: "false-wake",
      attempt: 0,
      quirk: null,
      reaction: "none",
    });
    observe(sim);
    return false;
  }

  const request = s.requests[run.request];
  if (run.chain === null) {
    const [lo, hi] = o.maxTries;
    run.chain = {
      plan: request.plan,
      attempt: 1,
      maxTries: lo + run.react.int(hi - lo + 1),
      prev: null,
    };
  }
  const chain = run.chain;
  const intended = request.item;
  const creator = cat.creators[intended];
  const spoken = renderPlan(chain.plan, creator);
  const heard = hear(run.pipe, spoken, {
    randomRate: o.asrErrorRate,
    systematicRate: o.systematicAsrRate,
    withCreator: chain.plan.creator !== null,
    clear: chain.plan.clear,
  });
  const { text, rewrittenFrom } = rewrite(
    sim,
    user.id,
    s.device.id,
    t,
    heard.text,
    heard.confidence,
    context,
  );
  const response = assistantRespond(text, context, assistant, heard.confidence);
  const latency = Math.round(u01(LATENCY_MS, run.pipe));
  // Result failures are drawn for every play, so the draws do not depend on what was resolved.
  const uResult = run.pipe.next();
  const uResultType = run.pipe.next();
  const resultFailure =
    response.responseKind === "play" && uResult < o.resultErrorRate
      ? uResultType < RESULT_ERROR_SHARE
        ? "error"
        : "wrong-version"
      : null;
  const responseKind: ResponseKind = resultFailure === "error" ? "error" : response.responseKind;
  const resolved = response.resolvedItem === null ? -1 : assistant.itemIndex.get(response.resolvedItem)!;

  const asrFailed = heard.text !== heard.said;
  const intendedKind = cat.kinds[intended];
  const nluFailed = response.intent === null || !INTENT_KINDS[response.intent].includes(intendedKind);
  const erFailed = resolved !== intended;
  const delivered = !nluFailed && !erFailed && responseKind === "play" && resultFailure === null;
  const failedStage: FailureStage | null = asrFailed
    ? "ASR"
    : nluFailed
      ? "NLU"
      : erFailed
        ? "ER"
        : delivered
          ? null
          : "RESULT";
  // The label is the first failure not recovered from: an ASR error that still resolved to the intended
  // item does not count, so when that item then fails to play the label is RESULT, not ASR.
  const label: TurnLabel = delivered
    ? "CORRECT"
    : asrFailed && erFailed
      ? "ASR"
      : nluFailed
        ? "NLU"
        : erFailed
          ? "ER"
          : "RESULT";
  const cause = failureCause(
    label === "CORRECT" ? failedStage : label,
    heard,
    response,
    resolved,
    intended,
    resultFailure,
    cat,
    rewrittenFrom !== undefined,
  );

  // The user's reaction.
  let played: PlayReaction | null = null;
  if (responseKind === "play" && resolved >= 0) {
    const situation: PlaySituation = delivered ? "right" : resolved === intended ? "wrong-version" : "wrong";
    const a = sigmoid(affinityLogit(sim.userFactors, s.user, cat.factors, cat.bias, resolved, cat.dim));
    played = reactToPlay(run.react, situation, a, cat.lengthMs[resolved], cat.kinds[resolved], o.bargeInRate);
    const room = s.hardStop - t - latency;
    if (played.playedMs > room)
      played = { ...played, playedMs: Math.max(0, room), endReason: "interrupted", bargeIn: false };
    emitPlay(sim, requestId, user.id, resolved, t + latency, played, text, context);
  }
  emitRequest(sim, {
    requestId,
    user: user.id,
    device: s.device.id,
    t,
    text,
    rewrittenFrom,
    asrConfidence: heard.confidence,
    response,
    responseKind,
    played,
    context,
  });
  const answerEnd = t + latency + (played ? played.playedMs : ANSWER_MS);
  const deadline = s.hardStop - SESSION_MARGIN_MS;

  let reaction: Reaction;
  if (delivered) reaction = "done";
  else if (played?.accepted) reaction = "accepted";
  else {
    const retry = o.rephraseRate * (response.trace.unavailable ? UNAVAILABLE_RETRY : 1);
    const wants = chain.attempt < chain.maxTries && run.react.next() < retry;
    const at = t + (played ? played.playedMs : 0) + Math.round(u01(o.rephraseGapMs, run.react));
    reaction = !wants ? "give-up" : at > deadline ? "cut" : "rephrase";
    if (reaction === "rephrase") {
      const perceived = perceive(response, resolved, intended, resultFailure, cat);
      run.chain = {
        ...chain,
        plan: rephrasePlan(run.react, chain.plan, perceived, creator),
        attempt: chain.attempt + 1,
        prev: requestId,
      };
      run.next = at;
    }
  }
  sim.truth.push({
    requestId,
    sessionId: s.id,
    intendedItem: cat.ids[intended],
    spokenText: spoken,
    failedStage,
    label,
    defective: !delivered,
    rephraseOf: chain.prev,
    cause,
    attempt: chain.attempt,
    quirk: chain.plan.quirk,
    reaction,
  });
  observe(sim);
  if (reaction === "rephrase") return true;
  run.chain = null;
  run.request++;
  if (run.request >= s.requests.length) return false;
  run.next =
    answerEnd +
    Math.round(
      u01(
        reaction === "done" || reaction === "accepted" ? NEXT_AFTER_SUCCESS_MS : NEXT_AFTER_GIVE_UP_MS,
        run.react,
      ),
    );
  return run.next <= deadline;
}

/** Applies the policy's rewrite, if any, after ASR. */
function rewrite(
  sim: Sim,
  user: string,
  device: string,
  timeMs: number,
  heard: string,
  asrConfidence: number,
  context: PlayContext,
): { text: string; rewrittenFrom: string | undefined } {
  const out = sim.policy?.rewrite?.({
    user,
    device,
    timeMs,
    text: heard,
    asrConfidence,
    context: { ...context },
  });
  if (out === null || out === undefined || out.trim() === "" || out === heard)
    return { text: heard, rewrittenFrom: undefined };
  return { text: out.slice(0, 2000), rewrittenFrom: heard };
}

function observe(sim: Sim): void {
  const observer = sim.policy?.observe;
  if (observer) observer.call(sim.policy, structuredClone(sim.requests[sim.requests.length - 1]));
}

function failureCause(
  stage: FailureStage | null,
  heard: ReturnType<typeof hear>,
  response: AssistantResponse,
  resolved: number,
  intended: number,
  resultFailure: "error" | "wrong-version" | null,
  cat: VoiceCatalogue,
  rewritten: boolean,
): FailureCause | null {
  switch (stage) {
    case null:
      return null;
    case "FALSE_WAKE":
      return "false-wake";
    case "ASR":
      return heard.systematic ? "asr-systematic" : "asr-random";
    case "NLU":
      if (rewritten) return "rewrite";
      if (response.trace.nluNoise) return "nlu-noise";
      return response.intent === "Unknown" || response.intent === null ? "nlu-unknown" : "nlu-ambiguous";
    case "ER":
      if (rewritten) return "rewrite";
      if (response.trace.erNoise) return "er-noise";
      if (resolved < 0) return "er-not-found";
      return cat.titles[resolved].toLowerCase() === cat.titles[intended].toLowerCase()
        ? "er-same-title"
        : "er-wrong-match";
    case "RESULT":
      if (response.trace.unavailable) return "result-unavailable";
      if (response.trace.noScreen) return "result-no-screen";
      return resultFailure === "wrong-version" ? "result-wrong-version" : "result-error";
  }
}

/** What the user could tell went wrong, from the answer alone. */
function perceive(
  response: AssistantResponse,
  resolved: number,
  intended: number,
  resultFailure: "error" | "wrong-version" | null,
  cat: VoiceCatalogue,
): Perceived {
  if (response.trace.noScreen) return "wrong-kind";
  if (resultFailure !== null || response.trace.unavailable) return "broken";
  if (resolved < 0 || response.responseKind !== "play") return "nothing";
  if (resolved === intended) return "broken";
  return cat.kinds[resolved] === cat.kinds[intended] ? "wrong-item" : "wrong-kind";
}

/** What a request event records of a turn. */
interface TurnRecord {
  requestId: string;
  user: string;
  device: string;
  t: number;
  text: string;
  rewrittenFrom: string | undefined;
  asrConfidence: number;
  response: AssistantResponse;
  responseKind: ResponseKind;
  played: PlayReaction | null;
  context: PlayContext;
}

function emitRequest(sim: Sim, r: TurnRecord): void {
  const event: RequestEvent = {
    requestId: r.requestId,
    user: r.user,
    device: r.device,
    time: new Date(r.t).toISOString(),
    text: r.text,
    asrConfidence: r.asrConfidence,
    responseKind: r.responseKind,
    bargeIn: r.played?.bargeIn ?? false,
    context: r.context,
  };
  if (r.response.intent !== null) event.intent = r.response.intent;
  if (r.response.intentConfidence !== null) event.intentConfidence = r.response.intentConfidence;
  if (r.response.resolvedItem !== null) event.resolvedItem = r.response.resolvedItem;
  if (r.played) event.playedMs = r.played.playedMs;
  if (r.rewrittenFrom !== undefined) event.rewrittenFrom = r.rewrittenFrom;
  sim.requests.push(event);
}

function emitPlay(
  sim: Sim,
  requestId: string,
  user: string,
  item: number,
  startMs: number,
  played: PlayReaction,
  text: string,
  context: PlayContext,
): void {
  sim.plays.push({
    eventId: `${requestId}-play`,
    user,
    item: sim.cat.ids[item],
    endTime: new Date(startMs + played.playedMs).toISOString(),
    playedMs: played.playedMs,
    itemLengthMs: sim.cat.lengthMs[item],
    context: { ...context },
    requestText: text,
    requestId,
    endReason: played.endReason,
  });
}
