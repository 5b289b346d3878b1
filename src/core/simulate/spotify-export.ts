import type { PlayEvent } from "../../schema/events.js";
import type { SimulatedWorld } from "./types.js";

/** One file of an extended streaming history export: its name and its JSON array of plays. */
export interface SpotifyExportFile {
  name: string;
  rows: Array<Record<string, string | number | boolean | null>>;
}

/** Spotify splits an extended export into files of at most this many plays. */
const ROWS_PER_FILE = 16_000;

/** How a simulated play ended, said the way Spotify's `reason_end` says it. */
const REASON_END: Record<NonNullable<PlayEvent["endReason"]>, string> = {
  completed: "trackdone",
  skipped: "fwdbtn",
  "barge-in": "fwdbtn",
  error: "trackerror",
  interrupted: "endplay",
  unknown: "unknown",
};

/** The simulated user with the most plays (the first such by id): the richest history to export. */
export function busiestUser(world: SimulatedWorld): string {
  const counts = new Map<string, number>();
  for (const e of world.events) counts.set(e.user, (counts.get(e.user) ?? 0) + 1);
  let best = "";
  let most = -1;
  for (const [user, n] of counts) {
    if (n > most || (n === most && user < best)) {
      best = user;
      most = n;
    }
  }
  return best;
}

/**
 * One simulated listener's plays as Spotify's extended streaming history (`Streaming_History_Audio_<years>_<n>.json`,
 * the format of "Download your data"), so that the Spotify preset can be tried without a real export.
 * Songs carry `master_metadata_*`, podcast items `episode_*`; videos, which Spotify's audio history does
 * not hold, are left out. The fields the reader does not use are filled as a real export fills them.
 */
export function spotifyExport(world: SimulatedWorld, user: string): SpotifyExportFile[] {
  const items = new Map(
    world.catalogue.map((c, i) => [c.id, { ...c, uri: `sim${String(i).padStart(6, "0")}` }]),
  );
  const rows: SpotifyExportFile["rows"] = [];
  for (const e of world.events) {
    if (e.user !== user) continue;
    const item = items.get(e.item);
    if (!item || (item.kind !== "song" && item.kind !== "podcast")) continue;
    const creator = item.creators?.[0] ?? null;
    const song = item.kind === "song";
    const reasonEnd = REASON_END[e.endReason ?? "unknown"];
    rows.push({
      // Spotify writes whole seconds, in UTC, when playback stopped.
      ts: `${new Date(e.endTime).toISOString().slice(0, 19)}Z`,
      platform: "android",
      ms_played: e.playedMs,
      conn_country: "GB",
      master_metadata_track_name: song ? item.title : null,
      master_metadata_album_artist_name: song ? creator : null,
      master_metadata_album_album_name: song ? item.title : null,
      spotify_track_uri: song ? `spotify:track:${item.uri}` : null,
      episode_name: song ? null : item.title,
      episode_show_name: song ? null : creator,
      spotify_episode_uri: song ? null : `spotify:episode:${item.uri}`,
      reason_start: "trackdone",
      reason_end: reasonEnd,
      shuffle: false,
      skipped: reasonEnd === "fwdbtn",
      offline: false,
    });
  }
  const files: SpotifyExportFile[] = [];
  for (let start = 0, n = 0; start < rows.length; start += ROWS_PER_FILE, n++) {
    const part = rows.slice(start, start + ROWS_PER_FILE);
    const first = String(part[0].ts).slice(0, 4);
    const last = String(part[part.length - 1].ts).slice(0, 4);
    const years = first === last ? first : `${first}-${last}`;
    files.push({ name: `Streaming_History_Audio_${years}_${n}.json`, rows: part });
  }
  return files;
}
