/**
 * MovieLens ratings: `u.data` (ML-100K: tab-separated `user item rating timestamp`, no header),
 * `ratings.csv` (newer releases: `userId,movieId,rating,timestamp` with a header) and `ratings.dat`
 * (ML-1M/10M: `UserID::MovieID::Rating::Timestamp`).
 *
 * Weight rule: each rating becomes one event with weight = rating − 3 (so 4 and 5 are positive, 1 and 2
 * negative, 3 is neutral at 0; half stars give ±0.5 steps), playedMs = 0 (nothing was played), endTime = the
 * rating's unix timestamp. Users and items keep the plain ids of the file.
 *
 * Titles: u.item beside u.data (pipe-separated, latin1; genres from u.genre as tags), movies.csv beside
 * ratings.csv, or movies.dat beside ratings.dat become item records of kind "movie".
 */
import { basename, dirname, join } from "node:path";
import { type CatalogueItemInput, catalogueItemSchema, type PlayEvent } from "../schema/events.js";
import { type Batches, type ReadContext, rejectRecord } from "./context.js";
import { cleanRaw, csvRows, normColumn } from "./csv.js";
import { exists, fileError, peekText, readBytes } from "./files.js";
import type { IngestRecord } from "./types.js";
import { Bad, show, toNumber, toText, toTime, truncateRaw, validateEvent } from "./values.js";

/** weight = rating − 3; see the module comment. */
export function movielensWeight(rating: number): number {
  return rating - 3;
}

function itemOrReject(item: CatalogueItemInput, file: string, line: number, raw: string): IngestRecord {
  const r = catalogueItemSchema.safeParse(item);
  if (r.success) return { kind: "item", item };
  const issue = r.error.issues[0];
  const field = issue.path.length > 0 ? String(issue.path[0]) : "row";
  return rejectRecord(
    file,
    line,
    new Bad(field, `${issue.message} (item ${show(item.id)})`),
    truncateRaw(raw),
  );
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** u.item (+ u.genre): `id|title|release date|video release date|IMDb URL|19 genre flags`, latin1. */
async function* readUItem(dir: string, ctx: ReadContext): Batches {
  const out: IngestRecord[] = [];
  const file = join(dir, "u.item");
  let genres: string[] = [];
  const genreFile = join(dir, "u.genre");
  if (await exists(genreFile)) {
    for (const line of splitLines((await readBytes(genreFile)).toString("latin1"))) {
      const [name, index] = line.split("|");
      if (name && index !== undefined && /^\d+$/.test(index)) genres[+index] = name;
    }
    genres = Array.from(genres, (g) => g ?? "");
  }
  const lines = splitLines((await readBytes(file)).toString("latin1"));
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text.trim() === "") continue;
    const f = text.split("|");
    const id = f[0]?.trim() ?? "";
    if (!ctx.items.take(id, false)) continue;
    const attributes: Record<string, string> = {};
    if (f[2]) attributes.releaseDate = f[2];
    if (f[4]) attributes.imdbUrl = f[4];
    const tags: string[] = [];
    for (let g = 5; g < f.length; g++) {
      const name = genres[g - 5];
      if (f[g] === "1" && name) tags.push(name);
    }
    out.push(itemOrReject({ id, title: f[1] ?? "", kind: "movie", tags, attributes }, file, i + 1, text));
  }
  yield out;
}

/** movies.csv: `movieId,title,genres` with genres separated by `|`. */
async function* readMoviesCsv(dir: string, ctx: ReadContext): Batches {
  const out: IngestRecord[] = [];
  const file = join(dir, "movies.csv");
  let idx: number[] | undefined;
  for await (const rows of csvRows(file, ",")) {
    for (const row of rows) {
      if (idx === undefined) {
        const cols = row.record.map(normColumn);
        idx = ["movieid", "title", "genres"].map((c) => cols.indexOf(c));
        if (idx[0] < 0 || idx[1] < 0) throw fileError(file, "expected the columns movieId,title,genres");
        continue;
      }
      if (row.error !== undefined) continue;
      const id = (row.record[idx[0]] ?? "").trim();
      if (!ctx.items.take(id, false)) continue;
      const genres = idx[2] >= 0 ? (row.record[idx[2]] ?? "") : "";
      const tags = genres.split("|").filter((g) => g !== "" && g !== "(no genres listed)");
      const item = { id, title: row.record[idx[1]] ?? "", kind: "movie" as const, tags };
      out.push(itemOrReject(item, file, row.line, cleanRaw(row.raw)));
    }
  }
  yield out;
}

/** movies.dat (ML-1M/10M): `MovieID::Title::Genres`, latin1. */
async function* readMoviesDat(dir: string, ctx: ReadContext): Batches {
  const out: IngestRecord[] = [];
  const file = join(dir, "movies.dat");
  const lines = splitLines((await readBytes(file)).toString("latin1"));
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i].split("::");
    const id = f[0]?.trim() ?? "";
    if (id === "" || !ctx.items.take(id, false)) continue;
    const tags = (f[2] ?? "").split("|").filter((g) => g !== "" && g !== "(no genres listed)");
    out.push(itemOrReject({ id, title: f[1] ?? "", kind: "movie", tags }, file, i + 1, lines[i]));
  }
  yield out;
}

async function* sideItems(file: string, ctx: ReadContext): Batches {
  const dir = dirname(file);
  const name = basename(file).toLowerCase();
  const key = `movielens:${dir}:${name.split(".")[0]}`;
  if (ctx.sideFilesRead.has(key)) return;
  ctx.sideFilesRead.add(key);
  if (name.startsWith("ratings.csv")) {
    if (await exists(join(dir, "movies.csv"))) yield* readMoviesCsv(dir, ctx);
  } else if (name.startsWith("ratings.dat")) {
    if (await exists(join(dir, "movies.dat"))) yield* readMoviesDat(dir, ctx);
  } else if (await exists(join(dir, "u.item"))) {
    yield* readUItem(dir, ctx);
  }
}

const RATING_MAX = 5;

function ratingRow(rec: string[], idx: number[]): PlayEvent | Bad {
  const width = Math.max(...idx) + 1;
  if (rec.length < width) {
    const names = ["user", "item", "weight", "endTime"];
    return new Bad(
      names[idx.findIndex((i) => i >= rec.length)],
      `missing value (the row has ${rec.length} of ${width} columns)`,
    );
  }
  const user = toText(rec[idx[0]], "user");
  if (user instanceof Bad) return user;
  const item = toText(rec[idx[1]], "item");
  if (item instanceof Bad) return item;
  const endTime = toTime(rec[idx[3]]);
  if (endTime instanceof Bad) return endTime;
  const rating = toNumber(rec[idx[2]], "weight");
  if (rating instanceof Bad || rating < 0 || rating > RATING_MAX) {
    return new Bad("weight", `expected a rating from 0 to ${RATING_MAX}, got ${show(rec[idx[2]])}`);
  }
  return validateEvent({ user, item, endTime, playedMs: 0, weight: movielensWeight(rating) });
}

export async function* readMovielens(file: string, ctx: ReadContext): Batches {
  yield* sideItems(file, ctx);
  const firstLine = (await peekText(file, 4096)).split(/\r?\n/, 1)[0] ?? "";
  const delimiter = firstLine.includes("\t") ? "\t" : firstLine.includes("::") ? "::" : ",";
  const hasHeader = !/^\s*\d/.test(firstLine);
  let idx: number[] | undefined = hasHeader ? undefined : [0, 1, 2, 3];
  for await (const rows of csvRows(file, delimiter, delimiter === ",", ctx.countBytes)) {
    const out: IngestRecord[] = [];
    for (const row of rows) {
      if (idx === undefined) {
        idx = ratingsHeader(file, row.record);
        continue;
      }
      const r =
        row.error !== undefined
          ? new Bad("row", `unparsable record: ${row.error}`)
          : ratingRow(row.record, idx);
      if (r instanceof Bad) out.push(rejectRecord(file, row.line, r, cleanRaw(row.raw)));
      else out.push({ kind: "play", event: r, file, line: row.line });
    }
    yield out;
  }
}

function ratingsHeader(file: string, record: string[]): number[] {
  const cols = record.map(normColumn);
  const find = (...names: string[]) => cols.findIndex((c) => names.includes(c));
  const idx = [
    find("userid", "user"),
    find("movieid", "itemid", "item", "movie"),
    find("rating"),
    find("timestamp"),
  ];
  const missing = ["userId", "movieId", "rating", "timestamp"].filter((_, i) => idx[i] === -1);
  if (missing.length > 0) {
    const names = missing.map((m) => `"${m}"`).join(", ");
    throw fileError(file, `missing required column ${names} in the header (${record.join(",")})`);
  }
  return idx;
}
