import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSongId, songId } from "../schema/events.js";
import { type IngestOptions, type IngestRecord, readSource } from "./index.js";
import { spotifyDeviceType, spotifyEndReason } from "./spotify.js";

async function collect(paths: string[], options: IngestOptions) {
  const all: IngestRecord[] = [];
  for await (const r of readSource(paths, options)) all.push(r);
  return {
    all,
    plays: all.filter((r) => r.kind === "play"),
    rejects: all.filter((r) => r.kind === "reject"),
    items: all.filter((r) => r.kind === "item"),
  };
}

const ARTIST = "AC|DC \\ Friends";
const TRACK = "Back\\Slash | Pipe";

const basic = [
  { endTime: "2021-03-11 17:34", artistName: ARTIST, trackName: TRACK, msPlayed: 1000 },
  { endTime: "2021-03-11 17:40", artistName: "", trackName: "No Artist", msPlayed: 5 },
  { endTime: "2021-03-11 17:41", artistName: "Plain", trackName: "Song", msPlayed: 0 },
  { endTime: "2021-03-11 17:42", artistName: "Plain", trackName: "Song", msPlayed: "12x" },
];

const extendedBase = {
  username: "someone",
  conn_country: "DE",
  ip_addr_decrypted: null,
  user_agent_decrypted: null,
  master_metadata_album_album_name: null,
  spotify_track_uri: null,
  episode_name: null,
  episode_show_name: null,
  spotify_episode_uri: null,
  reason_start: "clickrow",
  shuffle: false,
  skipped: null,
  offline: false,
  offline_timestamp: 0,
  incognito_mode: false,
};

const extended = [
  {
    ...extendedBase,
    ts: "2021-03-11T17:34:12Z",
    platform: "Android OS 9 API 28 (samsung, SM-G960F)",
    ms_played: 1000,
    master_metadata_track_name: TRACK,
    master_metadata_album_artist_name: ARTIST,
    master_metadata_album_album_name: "Album",
    spotify_track_uri: "spotify:track:abc",
    reason_end: "trackdone",
  },
  {
    ...extendedBase,
    ts: "2021-03-11T18:00:00Z",
    platform: "iOS 14.4 (iPhone12,1)",
    ms_played: 3000,
    master_metadata_track_name: null,
    master_metadata_album_artist_name: null,
    episode_name: "Episode 1",
    episode_show_name: "The Show",
    spotify_episode_uri: "spotify:episode:xyz",
    reason_end: "fwdbtn",
  },
  {
    ...extendedBase,
    ts: "2021-03-11T18:05:00Z",
    platform: "windows",
    ms_played: 5,
    master_metadata_track_name: null,
    master_metadata_album_artist_name: null,
    reason_end: "unknown",
  },
  {
    ...extendedBase,
    ts: "2021-03-11T18:06:00Z",
    platform: "Partner sonos_ZP120 Sonos;Connect:Amp;;",
    ms_played: 10,
    master_metadata_track_name: "Song",
    master_metadata_album_artist_name: "Plain",
    reason_end: "endplay",
    skipped: true,
  },
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tastebud-spotify-"));
  mkdirSync(join(dir, "MyData"));
  mkdirSync(join(dir, "Spotify Extended Streaming History"));
  writeFileSync(join(dir, "MyData", "StreamingHistory0.json"), JSON.stringify(basic));
  writeFileSync(
    join(dir, "Spotify Extended Streaming History", "Streaming_History_Audio_2021.json"),
    JSON.stringify(extended),
  );
  writeFileSync(join(dir, "Spotify Extended Streaming History", "Streaming_History_Video_2021.json"), "[{}]");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("spotify JSON exports", () => {
  it("give the same item id for one song in both exports, with | and \\ in the names", async () => {
    const { plays, rejects, items } = await collect([dir], { preset: "spotify", user: "me" });
    const id = songId(ARTIST, TRACK);
    expect(parseSongId(id)).toEqual({ artist: ARTIST, track: TRACK });
    const fromBasic = plays.find((p) => p.kind === "play" && p.file.includes("StreamingHistory0"));
    const fromExtended = plays.find((p) => p.kind === "play" && p.file.includes("Audio"));
    expect(fromBasic).toMatchObject({ event: { item: id, user: "me", endTime: "2021-03-11T17:34:00.000Z" } });
    expect(fromExtended).toMatchObject({
      event: { item: id, user: "me", endTime: "2021-03-11T17:34:12.000Z" },
    });

    // Each item once, except a second time when a later row brings the Spotify URI.
    const forSong = items.filter((r) => r.kind === "item" && r.item.id === id);
    expect(forSong).toHaveLength(2);
    expect(forSong[1]).toEqual({
      kind: "item",
      item: {
        id,
        title: TRACK,
        creators: [ARTIST],
        kind: "song",
        attributes: { spotifyUri: "spotify:track:abc", album: "Album" },
      },
    });
    const plain = items.filter((r) => r.kind === "item" && r.item.id === songId("Plain", "Song"));
    expect(plain).toHaveLength(1);

    expect(rejects.map((r) => r.kind === "reject" && [r.file.split("/").pop(), r.line, r.field])).toEqual([
      ["StreamingHistory0.json", 2, "item"],
      ["StreamingHistory0.json", 4, "playedMs"],
      ["Streaming_History_Audio_2021.json", 3, "item"],
    ]);
    const [emptyArtist, , noName] = rejects as Extract<IngestRecord, { kind: "reject" }>[];
    expect(emptyArtist.reason).toMatch(/^empty artist name \(artistName\) \(JSON array element 2;/);
    expect(noName.reason).toMatch(/names no track, podcast episode or audiobook/);
    expect(JSON.parse(noName.raw)).toMatchObject({ ts: "2021-03-11T18:05:00Z" });
  });

  it("maps podcasts, end reasons and platforms", async () => {
    const file = join(dir, "Spotify Extended Streaming History", "Streaming_History_Audio_2021.json");
    const { all } = await collect([file], { preset: "spotify", user: "me" });
    const plays = all.flatMap((r) => (r.kind === "play" ? [r.event] : []));
    expect(plays[0]).toMatchObject({
      playedMs: 1000,
      endReason: "completed",
      context: {
        deviceType: "phone",
        hasScreen: true,
        extra: { platform: extended[0].platform, connCountry: "DE" },
      },
    });
    expect(plays[1]).toMatchObject({
      item: songId("The Show", "Episode 1"),
      endReason: "skipped",
      context: { deviceType: "phone" },
    });
    expect(plays[2]).toMatchObject({
      endReason: "skipped",
      context: { deviceType: "speaker", hasScreen: false },
    });
    const episode = all.find((r) => r.kind === "item" && r.item.kind === "podcast");
    expect(episode).toMatchObject({
      item: { title: "Episode 1", creators: ["The Show"], attributes: { spotifyUri: "spotify:episode:xyz" } },
    });
  });

  it("still emits the item when the first row naming it was rejected", async () => {
    // Not in `dir`, which the first test reads as a whole.
    const own = mkdtempSync(join(tmpdir(), "tastebud-spotify-endsong-"));
    const file = join(own, "endsong_0.json");
    const row = { ...extendedBase, master_metadata_track_name: "T", master_metadata_album_artist_name: "A" };
    writeFileSync(
      file,
      JSON.stringify([
        { ...row, ts: "not a time", ms_played: 1 },
        { ...row, ts: "2021-03-11T17:34:12Z", ms_played: 2 },
      ]),
    );
    const { all } = await collect([file], { preset: "spotify", user: "me" });
    expect(all.map((r) => r.kind)).toEqual(["reject", "item", "play"]);
    expect(all[0]).toMatchObject({ line: 1, field: "endTime" });
    rmSync(own, { recursive: true, force: true });
  });

  it("needs the user option", async () => {
    const file = join(dir, "MyData", "StreamingHistory0.json");
    await expect(collect([file], { preset: "spotify" })).rejects.toThrow(`${file}: Spotify's JSON exports`);
  });

  it.each([
    ["trackdone", null, "completed"],
    ["fwdbtn", null, "skipped"],
    ["backbtn", false, "skipped"],
    ["clickrow", true, "skipped"],
    ["trackerror", null, "error"],
    ["endplay", false, "interrupted"],
    ["logout", null, "interrupted"],
    [null, null, "unknown"],
    ["something-new", null, "unknown"],
  ])("reason_end %s, skipped %s -> %s", (reason, skipped, expected) => {
    expect(spotifyEndReason(reason, skipped)).toBe(expected);
  });

  it.each([
    ["Android OS 10 API 29 (Google, Pixel 3)", "phone"],
    ["iOS 14.4 (iPad8,1)", "phone"],
    ["Windows 10 (10.0.19041; x64)", "desktop"],
    ["OS X 10.15.7 [x86 8]", "desktop"],
    ["web_player windows 10;chrome 87.0.4280.88;desktop", "desktop"],
    ["Linux [x86-64 0]", "desktop"],
    ["Partner google cast_tv;Chromecast;;", "tv"],
    ["Partner android_tv Sony;BRAVIA 4K;", "tv"],
    ["Partner amazon_salmon Amazon;Echo_Dot;", "speaker"],
    ["Partner sonos_ZP120 Sonos;Connect:Amp;;", "speaker"],
    ["PS4", "tv"],
    ["ios", "phone"],
    ["something", "other"],
  ])("platform %s -> %s", (platform, expected) => {
    expect(spotifyDeviceType(platform)).toBe(expected);
  });
});

describe("spotify CSV", () => {
  it("reads the shared plays.csv.gz of 8 users", async () => {
    const file = "/work/shared/data/spotify-personal-streaming-history/plays.csv.gz";
    const users = new Set<string>();
    let plays = 0;
    let items = 0;
    const rejects: IngestRecord[] = [];
    const uris: string[] = [];
    for await (const r of readSource([file], { preset: "spotify" })) {
      if (r.kind === "play") {
        plays++;
        users.add(r.event.user);
      } else if (r.kind === "reject") rejects.push(r);
      else {
        items++;
        if (r.item.attributes?.spotifyUri) uris.push(r.item.attributes.spotifyUri);
      }
    }
    // 206,029 rows; one of them (s01, 2021-05-23 18:01) has an empty artist_name, which the rule rejects.
    expect(plays).toBe(206028);
    expect(rejects).toEqual([
      {
        kind: "reject",
        file,
        line: 11018,
        field: "item",
        reason: "empty artist name (artist_name)",
        raw: "s01,2021-05-23 18:01,,BTS Performs 'Fix You' (Coldplay Cover) | MTV Unplugged Presents: BTS,26310",
      },
    ]);
    expect(plays + rejects.length).toBe(206029);
    expect([...users].sort()).toEqual(["s01", "s02", "s03", "s04", "s05", "s06", "s07", "s08"]);
    expect(items).toBeGreaterThan(10000);
    expect(uris).toEqual([]);
  });

  it("agrees with the JSON export on item ids", async () => {
    mkdirSync(join(dir, "csv"));
    const file = join(dir, "csv", "plays.csv");
    writeFileSync(
      file,
      `user_id,end_time,artist_name,track_name,ms_played\nme,2021-03-11 17:34,"${ARTIST}","${TRACK}",1000\n`,
    );
    const { plays } = await collect([file], { preset: "spotify" });
    expect(plays).toMatchObject([{ event: { user: "me", item: songId(ARTIST, TRACK), playedMs: 1000 } }]);
  });

  it("refuses a user option for a CSV that names its listeners, instead of ignoring it", async () => {
    const file = join(dir, "users.csv");
    writeFileSync(file, "user_id,end_time,artist_name,track_name,ms_played\ns01,2021-03-11 17:34,A,B,1000\n");
    await expect(collect([file], { preset: "spotify", user: "me" })).rejects.toThrow(
      /names its listeners \(column "user_id"\)/,
    );
    const own = join(dir, "own.csv");
    writeFileSync(own, "end_time,artist_name,track_name,ms_played\n2021-03-11 17:34,A,B,1000\n");
    const { plays } = await collect([own], { preset: "spotify", user: "me" });
    expect(plays).toMatchObject([{ event: { user: "me", item: songId("A", "B") } }]);
  });
});
