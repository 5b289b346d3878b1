import type { PreferenceItem } from "./preference-index.js";

/** A small catalogue for the preference tests: a tag or creator for each of the examples. */
export const testCatalogue: PreferenceItem[] = [
  { id: "take-five", title: "Take Five", creators: ["Dave Brubeck Quartet"], kind: "song", tags: ["jazz"] },
  { id: "so-what", title: "So What", creators: ["Miles Davis"], kind: "song", tags: ["jazz"] },
  { id: "jolene", title: "Jolene", creators: ["Dolly Parton"], kind: "song", tags: ["country"] },
  { id: "9-to-5", title: "9 to 5", creators: ["Dolly Parton"], kind: "song", tags: ["country", "pop"] },
  { id: "ring-of-fire", title: "Ring of Fire", creators: ["Johnny Cash"], kind: "song", tags: ["country"] },
  { id: "hello-adele", title: "Hello", creators: ["Adele"], kind: "song", tags: ["pop", "soul"] },
  { id: "skyfall", title: "Skyfall", creators: ["Adele"], kind: "song", tags: ["pop"] },
  { id: "hello-richie", title: "Hello", creators: ["Lionel Richie"], kind: "song", tags: ["soul"] },
  {
    id: "last-christmas",
    title: "Last Christmas",
    creators: ["Wham!"],
    kind: "song",
    tags: ["christmas", "pop"],
  },
  {
    id: "all-i-want",
    title: "All I Want for Christmas Is You",
    creators: ["Mariah Carey"],
    kind: "song",
    tags: ["christmas"],
  },
  {
    id: "warriors-game-7",
    title: "Game 7 Highlights",
    creators: ["Golden State Warriors"],
    kind: "video",
    tags: ["basketball"],
  },
  { id: "serial", title: "Serial", creators: ["Sarah Koenig"], kind: "podcast", tags: ["true crime"] },
  { id: "juicy", title: "Juicy", creators: ["The Notorious B.I.G."], kind: "song", tags: ["Hip-Hop"] },
];

/** Thursday 3 October 2024, 09:00 UTC. */
export const NOW = Date.UTC(2024, 9, 3, 9, 0);
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
