/**
 * Spotify's own exports and the project's shared CSV of them.
 *
 * - Basic "Account data" export, `StreamingHistory*.json`: a JSON array of
 *   `{ endTime: "2021-03-11 17:34" (UTC), artistName, trackName, msPlayed }`.
 * - Extended streaming history, `Streaming_History_Audio_*.json` (older: `endsong_*.json`): a JSON array of
 *   `{ ts: "2021-03-11T17:34:12Z" (when playback stopped), ms_played, master_metadata_track_name,
 *   master_metadata_album_artist_name, master_metadata_album_album_name, spotify_track_uri, episode_name,
 *   episode_show_name, spotify_episode_uri, reason_start, reason_end, skipped, shuffle, offline, platform,
 *   conn_country, ... }`.
 * - CSV with `user_id,end_time,artist_name,track_name,ms_played` (shared/data/spotify-personal-streaming-history).
 *
 * A song's item id is songId(artist, track) in all three, so two exports of one person agree. Podcast
 * episodes (extended export) become songId(show, episode) with kind podcast, audiobook chapters
 * songId(book, chapter) with kind audiobook.
 */
import type { CatalogueItemInput, PlayContext, PlayEvent } from "../schema/events.js";
import { songId } from "../schema/events.js";
import { arraySuffix, BATCH, type Batches, type ReadContext, rejectRecord } from "./context.js";
import { cleanRaw, csvRows, normColumn } from "./csv.js";
import { fileError } from "./files.js";
import { readJsonDocument } from "./generic.js";
import type { IngestRecord } from "./types.js";
import { Bad, MAX_PLAYED_MS, rawJson, show, toInt, toText, toTime, validateEvent } from "./values.js";

type Obj = Record<string, unknown>;

/**
 * reason_end -> endReason. trackdone: completed; fwdbtn, backbtn (or `skipped: true`): skipped; trackerror:
 * error; the other known reasons (endplay, logout, remote, unexpected-exit, unexpected-exit-while-paused,
 * popup, appload, clickrow, playbtn) stop the track for some reason other than a verdict on it: interrupted;
 * anything else, or none: unknown.
 */
export function spotifyEndReason(reasonEnd: unknown, skipped: unknown): PlayEvent["endReason"] {
  const r = typeof reasonEnd === "string" ? reasonEnd.toLowerCase() : "";
  if (r === "trackdone") return "completed";
  if (r === "fwdbtn" || r === "backbtn" || skipped === true || skipped === 1 || skipped === "true")
    return "skipped";
  if (r === "trackerror") return "error";
  if (INTERRUPTED.has(r)) return "interrupted";
  return "unknown";
}
const INTERRUPTED = new Set([
  "endplay",
  "logout",
  "remote",
  "unexpected-exit",
  "unexpected-exit-while-paused",
  "popup",
  "appload",
  "clickrow",
  "playbtn",
]);

/**
 * Coarse device type from Spotify's `platform` text: TVs, consoles and cast targets -> tv; the web player ->
 * desktop; Android and iOS -> phone; Windows, macOS and Linux -> desktop; cars -> car; smart speakers
 * (Sonos, Echo, Google Home, other "Partner" devices) -> speaker; anything else -> other.
 */
export function spotifyDeviceType(platform: string): string {
  const p = platform.toLowerCase();
  if (/\btv\b|_tv|tv_|tvos|smarttv|chromecast|\bcast|playstation|\bps[345]\b|xbox|roku|fire ?tv/.test(p))
    return "tv";
  if (p.includes("web_player") || p.includes("web player")) return "desktop";
  if (p.includes("android") || /\bios\b/.test(p) || p.includes("iphone") || p.includes("ipad"))
    return "phone";
  if (
    p.includes("windows") ||
    p.includes("os x") ||
    p.includes("osx") ||
    p.includes("macos") ||
    p.includes("linux")
  )
    return "desktop";
  if (/\bcar\b|_car|automotive|carplay/.test(p)) return "car";
  if (/sonos|echo|alexa|amazon|google_home|google home|speaker|homepod|bose|partner/.test(p))
    return "speaker";
  return "other";
}

const HAS_SCREEN: Record<string, boolean> = { phone: true, desktop: true, tv: true, speaker: false };

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** The item record for a song (or episode), when this call has not emitted it yet (or now learns its URI). */
function itemRecord(
  ctx: ReadContext,
  id: string,
  title: string,
  creator: string,
  kind: CatalogueItemInput["kind"],
  uri: string | undefined,
  album?: string,
): IngestRecord | undefined {
  if (!ctx.items.take(id, uri !== undefined)) return undefined;
  const attributes: Record<string, string> = {};
  if (uri !== undefined) attributes.spotifyUri = uri;
  if (album !== undefined) attributes.album = album;
  return { kind: "item", item: { id, title, creators: [creator], kind, attributes } };
}

function nameOf(value: unknown, field: string, source: string): string | Bad {
  if (typeof value === "string") {
    // Names are kept as given (no trimming), so that ids match across exports.
    return value === "" || value.trim() === "" ? new Bad("item", `empty ${field} (${source})`) : value;
  }
  if (value === undefined || value === null) return new Bad("item", `missing ${field} (${source})`);
  return new Bad("item", `expected a ${field} as text in ${source}, got ${show(value)}`);
}

interface Converted {
  event: PlayEvent;
  item?: IngestRecord;
}

function basicRow(o: Obj, user: string, ctx: ReadContext): Converted | Bad {
  const artist = nameOf(o.artistName, "artist name", "artistName");
  if (artist instanceof Bad) return artist;
  const track = nameOf(o.trackName, "track name", "trackName");
  if (track instanceof Bad) return track;
  const endTime = toTime(o.endTime);
  if (endTime instanceof Bad) return endTime;
  const playedMs = toInt(o.msPlayed, "playedMs", false, MAX_PLAYED_MS);
  if (playedMs instanceof Bad) return playedMs;
  const id = songId(artist, track);
  const event = validateEvent({ user, item: id, endTime, playedMs });
  if (event instanceof Bad) return event;
  return { event, item: itemRecord(ctx, id, track, artist, "song", undefined) };
}

interface ItemFacts {
  id: string;
  title: string;
  creator: string;
  kind: CatalogueItemInput["kind"];
  uri?: string;
  album?: string;
}

/** What an extended-export row plays: a song, else a podcast episode, else an audiobook chapter. */
function extendedItem(o: Obj): ItemFacts | Bad {
  const track = o.master_metadata_track_name;
  const artist = o.master_metadata_album_artist_name;
  if (track != null || artist != null) {
    const a = nameOf(artist, "artist name", "master_metadata_album_artist_name");
    if (a instanceof Bad) return a;
    const t = nameOf(track, "track name", "master_metadata_track_name");
    if (t instanceof Bad) return t;
    return {
      id: songId(a, t),
      title: t,
      creator: a,
      kind: "song",
      uri: nonEmpty(o.spotify_track_uri),
      album: nonEmpty(o.master_metadata_album_album_name),
    };
  }
  if (o.episode_name != null || o.episode_show_name != null) {
    const show = nameOf(o.episode_show_name, "show name", "episode_show_name");
    if (show instanceof Bad) return show;
    const episode = nameOf(o.episode_name, "episode name", "episode_name");
    if (episode instanceof Bad) return episode;
    const uri = nonEmpty(o.spotify_episode_uri);
    return { id: songId(show, episode), title: episode, creator: show, kind: "podcast", uri };
  }
  if (o.audiobook_title != null || o.audiobook_chapter_title != null) {
    const book = nameOf(o.audiobook_title, "audiobook title", "audiobook_title");
    if (book instanceof Bad) return book;
    const chapter = nameOf(o.audiobook_chapter_title, "chapter title", "audiobook_chapter_title");
    if (chapter instanceof Bad) return chapter;
    const uri = nonEmpty(o.audiobook_chapter_uri) ?? nonEmpty(o.audiobook_uri);
    return { id: songId(book, chapter), title: chapter, creator: book, kind: "audiobook", uri };
  }
  return new Bad(
    "item",
    "names no track, podcast episode or audiobook (master_metadata_track_name, " +
      "master_metadata_album_artist_name, episode_name and episode_show_name are all empty)",
  );
}

function extendedRow(o: Obj, user: string, ctx: ReadContext): Converted | Bad {
  const facts = extendedItem(o);
  if (facts instanceof Bad) return facts;
  const id = facts.id;
  const endTime = toTime(o.ts);
  if (endTime instanceof Bad) return endTime;
  const playedMs = toInt(o.ms_played, "playedMs", false, MAX_PLAYED_MS);
  if (playedMs instanceof Bad) return playedMs;

  const event: PlayEvent = {
    user,
    item: id,
    endTime,
    playedMs,
    endReason: spotifyEndReason(o.reason_end, o.skipped),
  };
  const context: PlayContext = {};
  const extra: Record<string, string | number | boolean> = {};
  const platform = nonEmpty(o.platform);
  if (platform !== undefined) {
    context.deviceType = spotifyDeviceType(platform);
    const screen = HAS_SCREEN[context.deviceType];
    if (screen !== undefined) context.hasScreen = screen;
    extra.platform = platform;
  }
  if (nonEmpty(o.conn_country) !== undefined) extra.connCountry = o.conn_country as string;
  if (typeof o.shuffle === "boolean") extra.shuffle = o.shuffle;
  if (typeof o.offline === "boolean") extra.offline = o.offline;
  if (nonEmpty(o.reason_start) !== undefined) extra.reasonStart = o.reason_start as string;
  if (nonEmpty(o.reason_end) !== undefined) extra.reasonEnd = o.reason_end as string;
  if (Object.keys(extra).length > 0) context.extra = extra;
  if (Object.keys(context).length > 0) event.context = context;
  const valid = validateEvent(event);
  if (valid instanceof Bad) return valid;
  // Only now: an item is marked as emitted only when the record that carries it is.
  const item = itemRecord(ctx, id, facts.title, facts.creator, facts.kind, facts.uri, facts.album);
  return { event: valid, item };
}

/** A Spotify JSON export (basic or extended, told apart per element). Needs options.user. */
export async function* readSpotifyJson(file: string, ctx: ReadContext): Batches {
  const user = ctx.options.user;
  if (user === undefined || user.trim() === "") {
    throw fileError(file, "Spotify's JSON exports do not name the listener: pass the user option");
  }
  const doc = await readJsonDocument(file, ctx.countBytes);
  if (!Array.isArray(doc))
    throw fileError(file, "expected a JSON array of plays (a Spotify streaming history)");
  let out: IngestRecord[] = [];
  for (let i = 0; i < doc.length; i++) {
    const o = doc[i];
    const line = i + 1;
    let r: Converted | Bad;
    if (typeof o !== "object" || o === null || Array.isArray(o)) {
      r = new Bad("row", `expected a JSON object, got ${show(o)}`);
    } else if ("ts" in o || "ms_played" in o) {
      r = extendedRow(o as Obj, user, ctx);
    } else {
      r = basicRow(o as Obj, user, ctx);
    }
    if (r instanceof Bad) {
      out.push(rejectRecord(file, line, r, rawJson(o), arraySuffix(line)));
    } else {
      if (r.item !== undefined) out.push(r.item);
      out.push({ kind: "play", event: r.event, file, line });
    }
    if (out.length >= BATCH) {
      yield out;
      out = [];
    }
  }
  yield out;
}

const CSV_COLUMNS = ["user_id", "end_time", "artist_name", "track_name", "ms_played"] as const;

/** The CSV form: user_id (or options.user when there is no such column), end_time, artist_name, track_name, ms_played. */
export async function* readSpotifyCsv(file: string, ctx: ReadContext): Batches {
  let idx: number[] | undefined;
  const fallbackUser = ctx.options.user;
  for await (const rows of csvRows(file, ",", true, ctx.countBytes)) {
    const out: IngestRecord[] = [];
    for (const row of rows) {
      const rec = row.record;
      if (idx === undefined) {
        idx = csvHeader(file, row.error, rec, fallbackUser);
        continue;
      }
      if (row.error !== undefined) {
        const bad = new Bad("row", `unparsable CSV record: ${row.error}`);
        out.push(rejectRecord(file, row.line, bad, cleanRaw(row.raw)));
        continue;
      }
      const r = spotifyCsvRow(rec, idx, fallbackUser);
      if (r instanceof Bad) {
        out.push(rejectRecord(file, row.line, r, cleanRaw(row.raw)));
        continue;
      }
      const item = itemRecord(ctx, r.item, rec[idx[3]], rec[idx[2]], "song", undefined);
      if (item !== undefined) out.push(item);
      out.push({ kind: "play", event: r, file, line: row.line });
    }
    yield out;
  }
  if (idx === undefined) throw fileError(file, "empty file: expected a CSV header line");
}

/** The Spotify CSV header: the column index of each of CSV_COLUMNS (-1: absent); throws what the reader would. */
export function csvHeader(
  file: string,
  error: string | undefined,
  rec: string[],
  fallbackUser?: string,
): number[] {
  if (error !== undefined) throw fileError(file, `cannot parse the CSV header: ${error}`);
  const cols = rec.map((c) => normColumn(c));
  const idx = CSV_COLUMNS.map((c) => cols.indexOf(normColumn(c)));
  // Taking the option over the file's own ids would merge its listeners; ignoring it would leave the
  // caller asking about a user that is not stored.
  if (idx[0] >= 0 && fallbackUser !== undefined)
    throw fileError(
      file,
      `the file names its listeners (column "${rec[idx[0]]}"): the user option is only for exports without one; leave it out`,
    );
  for (let c = 0; c < CSV_COLUMNS.length; c++) {
    if (idx[c] < 0 && !(c === 0 && fallbackUser !== undefined)) {
      throw fileError(
        file,
        `missing required column "${CSV_COLUMNS[c]}" in the CSV header (${rec.join(",")}); ` +
          `expected ${CSV_COLUMNS.join(",")}`,
      );
    }
  }
  return idx;
}

/** One Spotify CSV record (csvHeader gave `idx`) as a play, or why not: the rule the bulk path is checked against. */
export function spotifyCsvRow(
  rec: string[],
  idx: number[],
  fallbackUser: string | undefined,
): PlayEvent | Bad {
  const short = (c: number): Bad | undefined =>
    idx[c] >= rec.length
      ? new Bad(
          c === 0 ? "user" : c === 1 ? "endTime" : c === 4 ? "playedMs" : "item",
          `missing value (the row has ${rec.length} columns, ${CSV_COLUMNS[c]} is column ${idx[c] + 1})`,
        )
      : undefined;
  let user: string | Bad;
  if (idx[0] < 0 || (fallbackUser !== undefined && (rec[idx[0]] ?? "").trim() === ""))
    user = fallbackUser as string;
  else user = short(0) ?? toText(rec[idx[0]], "user");
  if (user instanceof Bad) return user;
  const artist = short(2) ?? nameOf(rec[idx[2]], "artist name", "artist_name");
  if (artist instanceof Bad) return artist;
  const track = short(3) ?? nameOf(rec[idx[3]], "track name", "track_name");
  if (track instanceof Bad) return track;
  const endTime = short(1) ?? toTime(rec[idx[1]]);
  if (endTime instanceof Bad) return endTime;
  const playedMs = short(4) ?? toInt(rec[idx[4]], "playedMs", false, MAX_PLAYED_MS);
  if (playedMs instanceof Bad) return playedMs;
  return validateEvent({ user, item: songId(artist, track), endTime, playedMs });
}
