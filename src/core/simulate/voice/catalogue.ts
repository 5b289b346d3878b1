import { type CatalogueItemInput, songId } from "../../../schema/events.js";
import { normalizeText } from "../../matching/normalize.js";
import type { Random } from "../../random.js";
import { factorScale } from "../model.js";
import { makeCreatorName, uniqueName } from "../names.js";
import type { SimulatedWorld } from "../types.js";
import {
  BOOK_WORDS,
  DRIFT_RELEASES,
  FAMILIES,
  SINGLES,
  type TitleSpec,
  type VoiceKind,
  voiceKinds,
} from "./titles.js";

/**
 * The listening world's catalogue plus the voice titles, as parallel arrays indexed like the true model:
 * items [0, baseCount) are the listening world's, in its order, so its factors and biases carry over.
 */
export interface VoiceCatalogue {
  items: CatalogueItemInput[];
  ids: string[];
  titles: string[];
  creators: string[];
  kinds: VoiceKind[];
  lengthMs: Int32Array;
  dim: number;
  /** Item traits, row-major items × dim, in the listening world's scale. */
  factors: Float32Array;
  /** Item bias of the true affinity, also the global popularity logit the assistant ranks by. */
  bias: Float32Array;
  /** Per kind, the items of that kind. */
  byKind: Record<VoiceKind, number[]>;
  /** Items released on the drift day (nobody asks for them before). */
  driftItems: number[];
  indexOf: Map<string, number>;
  baseCount: number;
}

/**
 * The two "Hello"s get hit popularity here (the voice model is the listening world's except for this), so
 * that many users ask for them and Lionel Richie's fans meet the assistant's preference for Adele's.
 */
const HELLO_POPULARITY: Record<string, number> = { Adele: 1.3, "Lionel Richie": 0.7 };

/** Generated works: books, some with an audiobook and a movie of the same title, and standalone movies. */
const GENERATED_BOOKS = 60;
const AUDIOBOOK_SHARE = 0.5;
const MOVIE_SHARE = 0.35;
const GENERATED_MOVIES = 40;
/** Share of a member's traits inherited from its work (the book and its movie appeal to the same people). */
const WORK_STYLE = 0.85;

const MINUTE = 60_000;
const LENGTH_MS: Record<VoiceKind, [number, number]> = {
  song: [150_000, 330_000],
  video: [60_000, 1_200_000],
  movie: [85 * MINUTE, 160 * MINUTE],
  podcast: [15 * MINUTE, 90 * MINUTE],
  audiobook: [6 * 60 * MINUTE, 20 * 60 * MINUTE],
  book: [5 * 60 * MINUTE, 12 * 60 * MINUTE],
  // A station streams without end; this is the longest a listener stays.
  other: [3 * 60 * MINUTE, 3 * 60 * MINUTE],
};

function slug(title: string): string {
  return normalizeText(title).replace(/ /g, "-");
}

function idFor(spec: TitleSpec): string {
  if (spec.kind === "song") return songId(spec.creator, spec.title);
  return `${spec.kind === "other" ? "station" : spec.kind}:${slug(spec.title)}`;
}

/** A book-like title: "The Silent River", "Letters in Kestrel Bay", "The Clockmaker's Daughter". */
function bookTitle(rng: Random): string {
  const { adjectives, nouns, places } = BOOK_WORDS;
  const w = (list: readonly string[]) => list[rng.int(list.length)];
  switch (rng.int(5)) {
    case 0:
      return `The ${w(adjectives)} ${w(nouns)}`;
    case 1:
      return `The ${w(nouns)} of ${w(places)}`;
    case 2:
      // Not "from": the request parser reads a creator after it.
      return `${w(nouns)} in ${w(places)}`;
    case 3:
      return `The ${w(nouns)}'s ${w(nouns)}`;
    default:
      return `${w(adjectives)} ${w(nouns)}`;
  }
}

function personName(rng: Random): string {
  // Persons only: bands do not write books.
  for (;;) {
    const name = makeCreatorName(rng);
    if (!name.startsWith("The ") && name.includes(" ")) return name;
  }
}

/**
 * The voice catalogue: the listening world's items, then the hand-written families and singles, the
 * drift releases, generated books (with audiobooks and movies of the same title) and standalone movies.
 */
export function buildVoiceCatalogue(rng: Random, base: SimulatedWorld): VoiceCatalogue {
  const dim = base.truth.dim;
  const scale = factorScale(dim);
  const items: CatalogueItemInput[] = [];
  const ids: string[] = [];
  const titles: string[] = [];
  const creators: string[] = [];
  const kinds: VoiceKind[] = [];
  const lengths: number[] = [];
  const factors: number[] = [];
  const bias: number[] = [];
  const driftItems: number[] = [];
  const indexOf = new Map<string, number>();

  const add = (
    id: string,
    title: string,
    creator: string,
    kind: VoiceKind,
    lengthMs: number,
    b: number,
    tags?: readonly string[],
  ) => {
    if (indexOf.has(id)) throw new Error(`duplicate voice item id ${id}`);
    indexOf.set(id, ids.length);
    ids.push(id);
    titles.push(title);
    creators.push(creator);
    kinds.push(kind);
    lengths.push(lengthMs);
    bias.push(b);
    const item: CatalogueItemInput = { id, title, creators: [creator], kind, lengthMs };
    // The listening world's genres and topics carry over, so that "no country" means something here too.
    if (kind === "other") item.tags = ["station"];
    else if (tags && tags.length > 0) item.tags = [...tags];
    items.push(item);
  };
  const drawLength = (kind: VoiceKind) => {
    const [lo, hi] = LENGTH_MS[kind];
    return lo + Math.round((hi - lo) * rng.next());
  };
  const pushFactors = (style: Float64Array | null) => {
    const own = Math.sqrt(1 - WORK_STYLE * WORK_STYLE);
    for (let k = 0; k < dim; k++) {
      factors.push(style ? scale * (WORK_STYLE * style[k] + own * rng.normal()) : scale * rng.normal());
    }
  };
  const newStyle = () => Float64Array.from({ length: dim }, () => rng.normal());

  const { catalogue, truth } = base;
  for (let i = 0; i < catalogue.length; i++) {
    const c = catalogue[i];
    const creator = c.creators?.[0] ?? "";
    const b =
      HELLO_POPULARITY[creator] !== undefined && c.title === "Hello"
        ? HELLO_POPULARITY[creator]
        : truth.itemBias[i];
    add(c.id, c.title, creator, c.kind as VoiceKind, c.lengthMs ?? drawLength("song"), b, c.tags);
    for (let k = 0; k < dim; k++) factors.push(truth.itemFactors[i * dim + k]);
  }
  const baseCount = ids.length;

  const addSpec = (spec: TitleSpec, style: Float64Array | null) => {
    add(idFor(spec), spec.title, spec.creator, spec.kind, drawLength(spec.kind), spec.pop);
    pushFactors(style);
  };
  for (const family of FAMILIES) {
    const style = newStyle();
    for (const [kind, creator, pop] of family.members)
      addSpec({ title: family.title, kind, creator, pop }, style);
  }
  for (const spec of SINGLES) addSpec(spec, null);
  for (const spec of DRIFT_RELEASES) {
    driftItems.push(ids.length);
    addSpec(spec, null);
  }

  const usedTitles = new Set(titles.map((t) => t.toLowerCase()));
  const usedNames = new Set(creators);
  const freshTitle = () => {
    let title = bookTitle(rng);
    for (let tries = 0; usedTitles.has(title.toLowerCase()) && tries < 50; tries++) title = bookTitle(rng);
    for (let n = 2; usedTitles.has(title.toLowerCase()); n++) title = `${bookTitle(rng)} ${n}`;
    usedTitles.add(title.toLowerCase());
    return title;
  };
  for (let g = 0; g < GENERATED_BOOKS; g++) {
    const title = freshTitle();
    const author = uniqueName(rng, usedNames, personName);
    const style = newStyle();
    const pop = -0.9 + 0.6 * rng.normal();
    addSpec({ title, kind: "book", creator: author, pop }, style);
    if (rng.next() < AUDIOBOOK_SHARE)
      addSpec({ title, kind: "audiobook", creator: author, pop: pop - 0.2 + 0.3 * rng.normal() }, style);
    if (rng.next() < MOVIE_SHARE) {
      const director = uniqueName(rng, usedNames, personName);
      addSpec({ title, kind: "movie", creator: director, pop: pop + 0.1 + 0.4 * rng.normal() }, style);
    }
  }
  for (let g = 0; g < GENERATED_MOVIES; g++) {
    const title = freshTitle();
    const director = uniqueName(rng, usedNames, personName);
    addSpec({ title, kind: "movie", creator: director, pop: -0.8 + 0.6 * rng.normal() }, null);
  }

  const byKind = Object.fromEntries(voiceKinds.map((k) => [k, [] as number[]])) as Record<
    VoiceKind,
    number[]
  >;
  const drift = new Set(driftItems);
  for (let i = 0; i < ids.length; i++) if (!drift.has(i)) byKind[kinds[i]].push(i);
  return {
    items,
    ids,
    titles,
    creators,
    kinds,
    lengthMs: Int32Array.from(lengths),
    dim,
    factors: Float32Array.from(factors),
    bias: Float32Array.from(bias),
    byKind,
    driftItems,
    indexOf,
    baseCount,
  };
}
