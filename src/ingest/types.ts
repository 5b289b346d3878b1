import type { CatalogueItemInput, PlayEvent } from "../schema/events.js";

/** One thing learned from a source file: a valid play, a catalogue fact, or a rejected row. */
export type IngestRecord =
  | { kind: "play"; event: PlayEvent; file: string; line: number }
  /** Catalogue facts learned from the source (title, creators, the Spotify URI as attributes.spotifyUri). */
  | { kind: "item"; item: CatalogueItemInput }
  | { kind: "reject"; file: string; line: number; field: string; reason: string; raw: string };

export const presetNames = ["tastebud", "spotify", "movielens", "lastfm"] as const;
export type PresetName = (typeof presetNames)[number];
export const formatNames = ["csv", "jsonl", "json", "parquet"] as const;
export type FormatName = (typeof formatNames)[number];

export interface IngestOptions {
  /** Which kind of source; default "tastebud" (our own field names in CSV, JSONL, JSON or Parquet). */
  preset?: PresetName;
  /** The listener, for sources that do not name one (Spotify's JSON exports; generic files without a user column). */
  user?: string;
  /** Generic preset only: the file format; by default taken from the extension, else sniffed from the content. */
  format?: FormatName;
  /** Generic preset only: our field name -> the source's column (or JSON key), e.g. `{ user: "uid" }`. */
  map?: Record<string, string>;
  /** The end time for rows without one (Last.fm's counts; generic files without an endTime column). */
  defaultEndTime?: string;
  /** Told, as a file is read from disk, how many more of its bytes were read (compressed bytes of a .gz). */
  onBytesRead?: (file: string, bytes: number) => void;
}
