/**
 * The simulated voice pipeline (issue 5): wake word -> ASR -> NLU -> entity resolution -> result over the
 * simulated listening world, with users who rephrase and give up, device and time context, a policy hook
 * for closed-loop rewriting, and ground truth per turn.
 */
export { CONFUSIONS, type Confusion, confusionsIn } from "./asr.js";
export {
  type AssistantOptions,
  type AssistantResponse,
  type AssistantState,
  type AssistantTrace,
  assistantRespond,
  buildAssistant,
  INTENT_KINDS,
  isUnavailable,
  type VoiceIntent,
} from "./assistant.js";
export { type DeviceType, deviceTypes, HAS_SCREEN } from "./context.js";
export {
  defaultVoiceOptions,
  type PolicyTurn,
  type ResolvedVoiceOptions,
  resolveVoiceOptions,
  type VoiceOptions,
  type VoicePolicy,
} from "./options.js";
export {
  type VoiceFiles,
  type VoiceTruthJson,
  voiceTruthFromJson,
  voiceTruthJsonSchema,
  voiceTruthToJson,
  voiceWorldToFiles,
} from "./records.js";
export {
  type SimulateVoiceOptions,
  simulateVoice,
  type VoiceModel,
  type VoiceUserInfo,
  type VoiceWorld,
  voiceAffinity,
} from "./simulate.js";
export { summarizeVoiceWorld, type VoiceWorldStats } from "./stats.js";
export { type VoiceKind, voiceKinds } from "./titles.js";
export { type FailureCause, failureCauses, type Reaction, reactions, type VoiceTurnTruth } from "./truth.js";
export type { VoiceDevice } from "./users.js";
