/**
 * Taught preferences: taste statements ("I don't like country", "more Adele", "never play Christmas
 * songs") parsed into per-user facts, applied to resolve and recommend with the reason shown, and the
 * teachable moments after which an assistant may ask "should I remember that?".
 */
export {
  type AdjustableCandidate,
  type AppliedPreference,
  type ApplyPreferenceOptions,
  adjustResolvedCandidates,
  intersectMasks,
  PREFERENCE_BOOSTS,
  type PreferenceAdjustment,
  type PreferenceEffectSummary,
  type PreferenceMasks,
  type PreferenceMode,
  preferenceAdjustment,
  preferenceMasks,
  preferenceTargets,
  type RerankedEntry,
  rerankWithPreferences,
} from "./apply-preferences.js";
export { type ExpiryPhrase, findExpiry } from "./expiry-phrases.js";
export {
  type NowPlaying,
  type ParsePreferenceOptions,
  type ParsePreferenceResult,
  parsePreference,
} from "./parse-preference.js";
export {
  isPreferenceActive,
  type PreferenceDraft,
  type PreferenceFact,
  type PreferencePolarity,
  type PreferenceScope,
  type PreferenceTarget,
  type PreferenceTargetType,
  preferenceFactId,
  preferenceFactSchema,
  preferencePolarities,
  preferenceScopeSchema,
  preferenceTargetSchema,
  preferenceTargetTypes,
  type TimeOfDay,
  targetKey,
  timesOfDay,
  toPreferenceFact,
} from "./preference-fact.js";
export { PreferenceIndex, type PreferenceItem, preferenceIndexOf } from "./preference-index.js";
export {
  type ListedPreference,
  listPreferences,
  mergePreference,
  removePreference,
} from "./preference-list.js";
export {
  canonicalActivity,
  contextMatches,
  kindAccepts,
  localHourOf,
  type PreferenceContext,
  scopeMatches,
  timeOfDayOf,
} from "./preference-scope.js";
export {
  describePreference,
  formatDay,
  type PreferenceEffect,
  preferenceReason,
  saidOn,
} from "./preference-text.js";
export { findScope, type ScopePhrases } from "./scope-phrases.js";
export {
  detectTeachableMoments,
  type TeachableMoment,
  type TeachableMomentKind,
  type TeachableMomentOptions,
} from "./teachable-moments.js";
export {
  type CatalogueVocabularyOptions,
  catalogueVocabulary,
  type PreferenceVocabulary,
  type VocabularyItem,
  type VocabularyMatch,
} from "./vocabulary.js";
