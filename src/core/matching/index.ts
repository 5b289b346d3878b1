/**
 * Catalogue matching: from a request text ("play hello by adele") to the catalogue items it may mean,
 * each with a text score. Choosing among same-title items is left to the affinity model.
 */
export {
  CatalogueIndex,
  type MatchableItem,
  type MatchCandidate,
  type MatchedOn,
  type MatchOptions,
} from "./catalogue-index.js";
export { normalizeText, type Token, tokenize } from "./normalize.js";
export { phoneticKey, phoneticPhrase } from "./phonetic.js";
export {
  type KindHint,
  type ParsedRequest,
  parseRequest,
  type RequestReading,
  requestReadings,
  type Span,
} from "./request.js";
export { creatorSimilarity, damerauLevenshtein, editSimilarity } from "./similarity.js";
export { trigramDice, trigrams } from "./trigram-index.js";
export { stripVersion } from "./version.js";
