/**
 * A Spotify-format CSV that probes every rule of the bulk path's SQL (issue 14): the conformance tests of
 * both stores' bulk paths (spotify-csv-sql.test.ts, postgres/bulk-ingest.test.ts) ingest it.
 */
import { existsSync, readFileSync } from "node:fs";
import { Random } from "../core/random.js";

export const HEADER = "user_id,end_time,artist_name,track_name,ms_played";

/** Rows that probe every rule: each is a whole CSV line. */
export const ODD_ROWS = [
  's01,2021-03-11 17:34,Capital Cities,"Safe, And Sound",15990',
  's01,2021-03-11 17:35,Quote,"He said ""hi""",100',
  "s01,2021-03-11 17:36,AC|DC \\ Friends,Back\\Slash | Pipe,100",
  " s02 ,2021-03-11 17:34,A,B,5",
  ",2021-03-11 17:34,A,B,5",
  `${"u".repeat(201)},2021-03-11 17:34,A,B,5`,
  "s03,2021-03-11 17:34,,B,5",
  "s03,2021-03-11 17:34,   ,B,5",
  "s03,2021-03-11 17:34,\u00a0,B,5",
  "s03,2021-03-11 17:34,A",
  "s03,2021-03-11 17:34,A,B",
  "s03,bad,A,B,5",
  "s03,2021-02-30 10:00,A,B,5",
  "s03,2021-02-29 10:00,A,B,5",
  "s03,2020-02-29 23:59,A,B,5",
  "s03,2021-03-11T17:34:12.5+01:00,A,B,5",
  "s03,2021-03-11T17:34:12,123456789Z,A,B,5",
  '"s03","2021-03-11T17:34:12.1234567890Z",A,B,5',
  "s03,2021-03-11 24:00,A,B,5",
  "s03,2021-03-11T17:34-0130,A,B,5",
  "s03,2021-03-11T17:34:05-00:30,A,B,5",
  "s03,1615483452,A,B,5",
  "s03,1615483452000,A,B,5",
  "s03,-5,A,B,5",
  "s03,1615483452.5,A,B,5",
  "s03,0000-01-01,A,B,5",
  "s03,0001-01-01,A,B,5",
  "s03,9999-12-31T23:59:59.999-01:00,A,B,5",
  "s03,2021-03-11t17:34z,A,B,5",
  "s03,2021-03-11 17:34  Z,A,B,5",
  "s03, 2021-03-11 17:34,A,B,5",
  "s03,2021-03-11 17:34 ,A,B,5",
  "s03,2021-03-11,A,B,5",
  "s04,2021-03-11 17:34,A,B,100.0",
  "s04,2021-03-11 17:34,A,B,-5",
  "s04,2021-03-11 17:34,A,B,1e3",
  "s04,2021-03-11 17:34,A,B,604800001",
  "s04,2021-03-11 17:34,A,B,604800000",
  "s04,2021-03-11 17:34,A,B,",
  "s04,2021-03-11 17:34,A,B,007",
  "s04,2021-03-11 17:34,A,B,5,extra,columns",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "s05,2021-03-11 17:34,Beyoncé,🎵 Halo,5",
  "",
  "   ",
  `s06,2021-03-11 17:34,${"x".repeat(600)},${"y".repeat(600)},5`,
  's06,2021-03-11 17:34,"",B,5',
  "s06,2021-03-11 17:34,\t,B,5",
  // Rejects among and after blank lines, quoted fields that are rejected or repeat a plain row, a quoted
  // unused column, empty fields after the header's count.
  "",
  "",
  's07,"2021-03-11, 17:34",A,B,5',
  's07,2021-03-11 17:34,"A",B,5',
  "s07,2021-03-11 17:34,A,B,5",
  's07,2021-03-11 17:34,"A",B,5,"x,y"',
  "s07,2021-03-11 17:34,A,B,",
  "s07,2021-03-11 17:34,A,B,x,",
  "s07,2021-03-11 17:34,A,B,6,,",
  "s07,2021-03-11 17:34,,B,6,,",
];

/** Ordinary rows with repeats (genuinely repeated plays), from a fixed seed. */
export function ordinaryRows(n: number, seed: number): string[] {
  const rng = new Random(seed);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const minute = Math.floor(rng.next() * 3000);
    const t = new Date(Date.UTC(2021, 0, 1) + minute * 60_000).toISOString().slice(0, 16).replace("T", " ");
    rows.push(
      `u${Math.floor(rng.next() * 20)},${t},Artist ${Math.floor(rng.next() * 30)},Track ${Math.floor(rng.next() * 5)},${Math.floor(rng.next() * 300_000)}`,
    );
  }
  return rows;
}

/** The rejects a rejects file holds (its lines naming runs left out); none when there is no file. */
export function rejectsIn(path: string): { reason: string; [field: string]: unknown }[] {
  return (existsSync(path) ? readFileSync(path, "utf8") : "")
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l))
    .filter((r) => r.reason !== undefined);
}
