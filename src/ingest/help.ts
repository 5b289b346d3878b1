/** One paragraph per preset: which files, how the fields map, and the weight rule. */
export const presetHelp: Record<string, string> = {
  tastebud:
    "Generic play events with tastebud's own field names (user, item, endTime, playedMs, itemLengthMs, weight, " +
    "context, requestText, endReason, eventId; deviceType is a shortcut for context.deviceType) in CSV with a " +
    "header (.csv/.tsv, optionally gzip-compressed, detected by extension or magic bytes), JSONL (one object per " +
    "line), a JSON array, or Parquet (read through DuckDB). A folder means its *.csv, *.tsv, *.jsonl, *.ndjson, " +
    '*.json (each optionally .gz) and *.parquet files. `map` renames columns ({user: "uid", playedMs: ' +
    '"ms"}); unmapped CSV/Parquet columns also match case-, underscore- and space-insensitively (end_time -> ' +
    "endTime); unknown columns are ignored. Required: user (or the user option), item, endTime (or " +
    'defaultEndTime) and playedMs. Times may be ISO 8601 (no offset = UTC), "YYYY-MM-DD HH:MM[:SS]" (UTC) or ' +
    "unix seconds/milliseconds, and are stored as ISO strings in UTC. In CSV, context is JSON text. Weight: " +
    "taken as given when the source has it, otherwise none (the play's duration is the signal).",
  spotify:
    "Spotify exports. Basic account data, StreamingHistory*.json: endTime (UTC, minutes), artistName, " +
    "trackName, msPlayed -> endTime, item = artist|track (songId), playedMs. Extended streaming history, " +
    "Streaming_History_Audio_*.json or endsong_*.json: ts -> endTime, ms_played -> playedMs, " +
    "master_metadata_album_artist_name + master_metadata_track_name -> item (songId), so both exports give one " +
    "song the same id; podcast rows become show|episode (kind podcast), audiobook rows book|chapter (kind " +
    "audiobook), rows naming none of these are rejected; reason_end trackdone -> completed, fwdbtn/backbtn or " +
    "skipped = true -> skipped, trackerror -> error, endplay/logout/remote/unexpected-exit/clickrow/playbtn and " +
    "other known stops -> interrupted, else unknown; platform -> context.deviceType (Android/iOS phone, " +
    "Windows/macOS/Linux/web player desktop, TV/cast/consoles tv, cars car, Sonos/Echo/partner speakers " +
    "speaker, else other), with platform, conn_country, shuffle, offline, reason_start and reason_end kept in " +
    "context.extra. The JSON exports do not name the listener: the user option is required. CSV " +
    "(user_id,end_time,artist_name,track_name,ms_played, optionally .gz): user from user_id. A folder is " +
    "searched recursively for these files (video history is skipped). Each song is emitted once as an item " +
    "(title, creators [artist], kind song, attributes.spotifyUri and album when known; again if a later row " +
    "adds the URI). A play of 0 ms is valid; an empty artist or track is rejected. Weight: none (the play's " +
    "duration is the signal).",
  movielens:
    "MovieLens ratings: u.data (ML-100K, tab-separated user item rating timestamp, no header), ratings.csv " +
    "(newer releases, userId,movieId,rating,timestamp with a header) or ratings.dat (ML-1M/10M, " +
    "UserID::MovieID::Rating::Timestamp). Each rating becomes one event: user and item are the plain ids of the " +
    "file, endTime the rating's unix timestamp, playedMs 0, and weight = rating − 3, so 4 and 5 stars are " +
    "positive, 1 and 2 negative and 3 neutral (0); half stars give steps of 0.5. Titles: u.item beside u.data " +
    "(pipe-separated, latin1, genres from u.genre as tags), movies.csv beside ratings.csv or movies.dat beside " +
    "ratings.dat become items of kind movie.",
  lastfm:
    "Last.fm HetRec 2011 play counts: user_artists.dat (tab-separated, header userID artistID weight, where " +
    "weight is how often the user played the artist; no times). One event per row: user = userID, item = " +
    '"lastfm:<artistID>", playedMs 0, endTime = defaultEndTime or 1970-01-01T00:00:00Z, and weight = the play ' +
    "count as given (no log or cap: folding counts into affinity is the trainer's decision). artists.dat " +
    "beside it gives items of kind artist (title and creator = the name, attributes lastfmUrl and pictureUrl).",
};
