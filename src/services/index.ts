/** The capability services Engine composes; each is the only place its capability meets I/O. */
export { type AffinityAnswer, AffinityService, type FoldInAnswer, type TrainResult } from "./affinity.js";
export type { ServiceContext } from "./context.js";
export { EventsService } from "./events.js";
export { type FavouriteEvaluationSource, FavouritesService } from "./favourites.js";
export { type HomePage, HomeService, type HomeShelf, type PolicyStatus } from "./home.js";
export { PreferencesService } from "./preferences.js";
export { type ItemListAnswer, type RecommendRequest, RecommendService } from "./recommend.js";
export { RewritesService, type ServedRewrites } from "./rewrites.js";
export { NoModelError, type ServingModel, ServingModels } from "./serving-model.js";
export { type ResolveAnswer, type ResolveOptions, VoiceService } from "./voice.js";
