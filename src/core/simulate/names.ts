import type { Random } from "../random.js";

/**
 * Word lists for made-up titles and creator names. Small on purpose: titles built from a few hundred
 * words look like real song titles and collide now and then, which the catalogue code turns into the
 * shared titles a resolver has to cope with.
 */

/** Song genres; each is a direction in the latent space, so tags correlate with item traits. */
export const GENRES = [
  "pop",
  "rock",
  "jazz",
  "country",
  "christmas",
  "hip-hop",
  "classical",
  "electronic",
  "r&b",
  "folk",
  "metal",
  "reggae",
  "blues",
  "soul",
  "latin",
  "indie",
] as const;

/** Topics of videos and podcasts, which do not have genres. */
export const TOPICS = [
  "news",
  "comedy",
  "sports",
  "science",
  "history",
  "true crime",
  "gaming",
  "cooking",
  "travel",
  "business",
] as const;

const TITLE_WORDS = (
  "Love Heart Night Midnight Summer Rain Fire Golden Blue Dream River City Light Dance Home Road Wild " +
  "Sweet Broken Shadow Moon Sun Star Ocean Forever Silver Electric Lonely Paradise Rose Thunder Highway " +
  "Velvet Echo Angel Diamond Honey Storm Winter Crazy Free Young Little Beautiful Girl Boy Baby Tonight " +
  "Morning Yesterday Tomorrow Fever Sugar Shine Glory Fool Train Window Mountain Desert Island Garden Kiss " +
  "Whisper Memory Silence Blues Soul Runaway Saturday Sunday California Tennessee Radio Neon Crystal Magic " +
  "Secret Paper Glass Stone Heaven Rebel Ghost Gravity Satellite Harbor Lullaby Cherry Wine Smoke Mirror " +
  "Horizon Lightning Butterfly Cowboy Jungle Letter Promise Shelter Wonder Wildfire Daylight Snow Holiday " +
  "Bells Rhythm Groove Funky Cold Hot Slow Fast Last First Only Lost Found Burning Falling Rising Dancing " +
  "Running Waiting Dreaming Stay Go Home Alone Together Again"
).split(" ");

const FIRST_NAMES = (
  "Maya Leo Nina Omar Clara Jonah Ruby Felix Iris Marco Hazel Dylan Esme Victor Lena Otis June Rafael " +
  "Stella Caleb Vera Hugo Alma Silas Nora Ezra Ivy Miles Greta Theo Luna Jasper Celia Bruno Mabel Dante " +
  "Willa Arlo Selma Rhys Tessa Emil Lucia Gus Priya Kofi Yuki Sven"
).split(" ");

const LAST_NAMES = (
  "Hart Rivers Stone Bell Moreno Keller Nash Quinn Castillo Dupont Okafor Lindqvist Sato Brennan Vance " +
  "Holloway Marsh Fontaine Reyes Calloway Winter Black Gray Fox Sterling Monroe Hayes Booker Lowe Carver " +
  "Delgado Kovacs Novak Petrov Ashby Wilde Crane Fairchild Mercer Sloane Abara Haddad Ito Park Santos"
).split(" ");

const BAND_NOUNS = (
  "Rivers Wolves Kings Shadows Lights Strangers Riders Dreamers Sparrows Pilots Saints Tigers Echoes " +
  "Ghosts Lovers Machines Foxes Horses Giants Comets Drifters Outlaws Cowboys Satellites"
).split(" ");

function word(rng: Random, list: readonly string[]): string {
  return list[rng.int(list.length)];
}

/** A title of one to three words ("Midnight Train", "Golden Heart Blues"). */
export function makeTitle(rng: Random): string {
  const r = rng.next();
  const n = r < 0.2 ? 1 : r < 0.75 ? 2 : 3;
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(word(rng, TITLE_WORDS));
  if (n === 3 && rng.next() < 0.3) words[1] = "of the";
  return words.join(" ");
}

/** A person ("Nina Castillo"), a mononym ("Esme") or a band ("The Velvet Foxes"). */
export function makeCreatorName(rng: Random): string {
  const r = rng.next();
  if (r < 0.55) return `${word(rng, FIRST_NAMES)} ${word(rng, LAST_NAMES)}`;
  if (r < 0.7) return word(rng, FIRST_NAMES) + (rng.next() < 0.5 ? "" : word(rng, ["a", "o", "ix", "elle"]));
  return `The ${word(rng, TITLE_WORDS)} ${word(rng, BAND_NOUNS)}`;
}

/** Draws from `make` until the name is new, falling back to a numbered name; records it in `used`. */
export function uniqueName(rng: Random, used: Set<string>, make: (rng: Random) => string): string {
  let name = make(rng);
  for (let tries = 0; used.has(name) && tries < 20; tries++) name = make(rng);
  for (let n = 2; used.has(name); n++) name = `${make(rng)} ${n}`;
  used.add(name);
  return name;
}

/** One typing or recognition slip: two swapped letters, a dropped letter or a doubled one. */
export function addTypo(rng: Random, text: string): string {
  const letters: number[] = [];
  for (let i = 0; i < text.length; i++) if (/[a-z]/i.test(text[i])) letters.push(i);
  if (letters.length < 4) return text;
  const i = letters[1 + rng.int(letters.length - 2)];
  const op = rng.int(3);
  const swapped = text.slice(0, i) + (text[i + 1] ?? "") + text[i] + text.slice(i + 2);
  // A swap of two equal letters or of a letter and a space is no typo; drop the letter instead.
  if (op === 0 && swapped !== text && /[a-z]/i.test(text[i + 1] ?? "")) return swapped;
  if (op === 2) return text.slice(0, i) + text[i] + text.slice(i);
  return text.slice(0, i) + text.slice(i + 1);
}
