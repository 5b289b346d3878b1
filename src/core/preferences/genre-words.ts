import { normalizeText } from "../matching/index.js";

/**
 * Words people use for a genre or a mood of music. A statement about one of them ("I don't like country")
 * is about the genre even when a creator's name contains the word ("for KING & COUNTRY", "Country Joe"),
 * so the parser reads such a word as a tag, and as a creator only when a creator is called exactly that.
 */
const GENRES = [
  "acoustic",
  "afrobeat",
  "afrobeats",
  "alternative",
  "ambient",
  "americana",
  "bluegrass",
  "blues",
  "bossa nova",
  "christian",
  "christmas",
  "classic rock",
  "classical",
  "country",
  "dance",
  "dancehall",
  "disco",
  "drum and bass",
  "dubstep",
  "edm",
  "electronic",
  "electronica",
  "emo",
  "folk",
  "funk",
  "gospel",
  "grunge",
  "hard rock",
  "heavy metal",
  "hip hop",
  "house",
  "indie",
  "indie rock",
  "industrial",
  "jazz",
  "k pop",
  "latin",
  "lo fi",
  "lofi",
  "metal",
  "new wave",
  "opera",
  "pop",
  "punk",
  "r and b",
  "rnb",
  "rap",
  "reggae",
  "reggaeton",
  "rock",
  "rock and roll",
  "rock n roll",
  "salsa",
  "ska",
  "soul",
  "soundtrack",
  "swing",
  "synthwave",
  "techno",
  "trance",
  "trap",
  "world",
];

const GENRE_SET = new Set(GENRES.map(normalizeText));

/** Whether a normalized phrase names a genre ("country", "hip hop", "hip-hop", "r&b"). */
export function isGenreWord(normalized: string): boolean {
  return GENRE_SET.has(normalized) || GENRE_SET.has(normalized.replace(/ /g, ""));
}
