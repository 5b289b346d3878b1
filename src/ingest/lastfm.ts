/**
 * Last.fm HetRec 2011: `user_artists.dat`, tab-separated with the header `userID artistID weight`, where
 * weight is how often the user played the artist; there are no times.
 *
 * Weight rule: one event per row with weight = the play count as given (no log or cap here: how counts are
 * folded into affinity is the trainer's decision), playedMs = 0, endTime = options.defaultEndTime or
 * 1970-01-01T00:00:00Z. Items are "lastfm:<artistID>", users the plain userID.
 *
 * When `artists.dat` (`id name url pictureURL`) lies beside the file, every artist becomes an item record of
 * kind "artist" with the name as title and creator, and its Last.fm URL and picture as attributes.
 */
import { dirname, join } from "node:path";
import { type CatalogueItemInput, catalogueItemSchema, type PlayEvent } from "../schema/events.js";
import { type Batches, type ReadContext, rejectRecord } from "./context.js";
import { cleanRaw, csvRows, normColumn } from "./csv.js";
import { exists, fileError, readBytes } from "./files.js";
import type { IngestRecord } from "./types.js";
import { Bad, toInt, toText, truncateRaw, validateEvent } from "./values.js";

export const LASTFM_PREFIX = "lastfm:";
export const LASTFM_DEFAULT_END_TIME = "1970-01-01T00:00:00.000Z";

async function* readArtists(dir: string, ctx: ReadContext): Batches {
  const out: IngestRecord[] = [];
  const file = join(dir, "artists.dat");
  // Split by hand: names contain quotes that are not CSV quoting.
  const lines = (await readBytes(file)).toString("utf8").split(/\r?\n/);
  const header = (lines[0] ?? "").split("\t").map(normColumn);
  const iId = header.indexOf("id");
  const iName = header.indexOf("name");
  if (iId < 0 || iName < 0) throw fileError(file, "expected a header with the columns id and name");
  const iUrl = header.indexOf("url");
  const iPic = header.indexOf("pictureurl");
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i];
    if (text.trim() === "") continue;
    const f = text.split("\t");
    const id = LASTFM_PREFIX + (f[iId] ?? "").trim();
    if (!ctx.items.take(id, false)) continue;
    const name = (f[iName] ?? "").trim();
    const attributes: Record<string, string> = {};
    if (iUrl >= 0 && f[iUrl]) attributes.lastfmUrl = f[iUrl].trim();
    if (iPic >= 0 && f[iPic]) attributes.pictureUrl = f[iPic].trim();
    const item: CatalogueItemInput = {
      id,
      title: name,
      creators: name ? [name] : [],
      kind: "artist",
      attributes,
    };
    const r = catalogueItemSchema.safeParse(item);
    if (r.success) {
      out.push({ kind: "item", item });
    } else {
      const issue = r.error.issues[0];
      const field = issue.path.length > 0 ? String(issue.path[0]) : "row";
      out.push(
        rejectRecord(file, i + 1, new Bad(field, `${issue.message} (artist ${id})`), truncateRaw(text)),
      );
    }
  }
  yield out;
}

function countRow(rec: string[], idx: number[], endTime: string): PlayEvent | Bad {
  const user = toText(rec[idx[0]], "user");
  if (user instanceof Bad) return user;
  const artist = toText(rec[idx[1]], "item");
  if (artist instanceof Bad) return artist;
  const count = toInt(rec[idx[2]], "weight", false);
  if (count instanceof Bad) return new Bad("weight", `${count.reason} (a play count)`);
  return validateEvent({ user, item: LASTFM_PREFIX + artist, endTime, playedMs: 0, weight: count });
}

export async function* readLastfm(file: string, ctx: ReadContext): Batches {
  const dir = dirname(file);
  if (!ctx.sideFilesRead.has(`lastfm:${dir}`)) {
    ctx.sideFilesRead.add(`lastfm:${dir}`);
    if (await exists(join(dir, "artists.dat"))) yield* readArtists(dir, ctx);
  }
  const endTime = ctx.defaultEndTime ?? LASTFM_DEFAULT_END_TIME;
  let idx: number[] | undefined;
  let width = 0;
  for await (const rows of csvRows(file, "\t", false, ctx.countBytes)) {
    const out: IngestRecord[] = [];
    for (const row of rows) {
      if (idx === undefined) {
        const cols = row.record.map(normColumn);
        idx = ["userid", "artistid", "weight"].map((c) => cols.indexOf(c));
        if (idx.some((i) => i < 0)) {
          throw fileError(
            file,
            `missing required column in the header (${row.record.join(" ")}); expected userID, artistID, weight`,
          );
        }
        width = Math.max(...idx) + 1;
        continue;
      }
      let r: PlayEvent | Bad;
      if (row.error !== undefined) r = new Bad("row", `unparsable record: ${row.error}`);
      else if (row.record.length < width) {
        const field = ["user", "item", "weight"][idx.findIndex((i) => i >= row.record.length)] ?? "row";
        r = new Bad(field, `missing value (the row has ${row.record.length} of ${width} columns)`);
      } else r = countRow(row.record, idx, endTime);
      if (r instanceof Bad) out.push(rejectRecord(file, row.line, r, cleanRaw(row.raw)));
      else out.push({ kind: "play", event: r, file, line: row.line });
    }
    yield out;
  }
  if (idx === undefined) throw fileError(file, "empty file: expected the header userID artistID weight");
}
