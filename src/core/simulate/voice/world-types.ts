import type { CatalogueItemInput, PlayEvent, RequestEvent } from "../../../schema/events.js";
import type { Confusion } from "./asr.js";
import type { AssistantState } from "./assistant.js";
import type { ResolvedVoiceOptions, VoiceOptions, VoicePolicy } from "./options.js";
import type { VoiceTurnTruth } from "./truth.js";
import type { VoiceDevice } from "./users.js";

/** The true taste model over the voice catalogue: a(u, i) = sigmoid(userFactors[u]·itemFactors[i] + itemBias[i]). */
export interface VoiceModel {
  users: string[];
  items: string[];
  dim: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  itemBias: Float32Array;
}

/** A user as the world reports it: devices and quirks (quirk items as catalogue ids). */
export interface VoiceUserInfo {
  id: string;
  devices: VoiceDevice[];
  quirks: Array<{ type: "nickname" | "mispronunciation"; item: string; phrase: string }>;
}

export interface VoiceWorld {
  catalogue: CatalogueItemInput[];
  /** Request events in time order; requestIds are stable across runs ("<session>-t<turn>"). */
  requests: RequestEvent[];
  /** Play events started by requests, in end-time order, each with its requestId. */
  plays: PlayEvent[];
  /** One per request, same order. */
  truth: VoiceTurnTruth[];
  users: VoiceUserInfo[];
  days: number;
  startDate: string;
  options: ResolvedVoiceOptions;
  model: VoiceModel;
  /** The assistant the turns were answered by: replay texts with assistantRespond(text, context, assistant). */
  assistant: AssistantState;
  confusions: readonly Confusion[];
  /** Items first requested on the drift day. */
  driftItems: string[];
}

export interface SimulateVoiceOptions extends VoiceOptions {
  policy?: VoicePolicy;
}
