/**
 * Taste space and playlists: similar creators and listeners, a listener's taste profile, personal
 * playlists that mix the familiar with the new (diverse, coherent, explained), Blend for several
 * listeners, and algotorial pools ranked per listener.
 */
export { type CreatorSimilarityReport, compareCreatorSimilarity } from "./creator-truth.js";
export {
  type BlendAttributes,
  type BlendInput,
  type BlendOptions,
  type BlendPolicy,
  type BlendResult,
  blendAttributes,
  blendCandidates,
  blendPolicies,
  buildBlend,
  defaultBlendOptions,
  tasteMatch,
} from "./group-blend.js";
export {
  buildPlaylist,
  defaultFamiliar,
  describe,
  type ItemAdjustment,
  type Playlist,
  type PlaylistInput,
  type PlaylistKind,
  type PlaylistSummary,
  type PlaylistTrack,
  playlistCandidates,
  playlistKinds,
} from "./playlist.js";
export {
  type PoolCatalogue,
  type PoolDefinition,
  type PoolDefinitionInput,
  poolCandidates,
  poolDefinitionSchema,
  type RankedPool,
  rankPool,
} from "./pool.js";
export {
  artistSpread,
  coherence,
  coherentOrder,
  defaultSelectOptions,
  intraListDiversity,
  type PlaylistCandidate,
  type Selection,
  type SelectOptions,
  selectTracks,
} from "./select.js";
export { adventurousByUser, type TasteProfile, tasteProfile, type WeightedName } from "./taste-profile.js";
export {
  buildTasteSpace,
  coListeningCreators,
  creatorListeners,
  creatorVector,
  itemCosine,
  itemQueryCosine,
  type Neighbour,
  nearestRows,
  similarCreators,
  type TasteItem,
  type TasteSpace,
  tasteSpaceOf,
  unit,
} from "./taste-space.js";
