/**
 * Source readers: pure parsing and validation that turn files into validated rows. `readSource` is an async
 * generator, so a store adapter can append in batches of its choosing; nothing here writes anywhere.
 *
 * - Every rejected row yields a `reject` naming its file, its 1-based line (for JSON arrays the element's
 *   index + 1, for Parquet the row number; the reason says so), the first offending field by our field names
 *   (`user`, `item`, `endTime`, `playedMs`, ...; `row` when the row as a whole cannot be read), a reason for a
 *   person and the raw row text (at most 2,000 characters). Valid rows are never lost because of bad ones.
 * - A whole-file problem (missing file, unparsable JSON document, missing required column) throws an Error
 *   whose one-line message starts with the file's path. Rows of earlier files have been yielded by then.
 * - Item records come before the first play that uses the item.
 *
 * The presets and their weight rules are described in `presetHelp` and in each reader's module comment.
 */
import { type Batches, newReadContext, type ReadContext } from "./context.js";
import { fileError, listSourceFiles } from "./files.js";
import {
  checkMap,
  genericFormat,
  readGenericCsv,
  readGenericJson,
  readGenericJsonl,
  readGenericParquet,
} from "./generic.js";
import { readLastfm } from "./lastfm.js";
import { readMovielens } from "./movielens.js";
import { readSpotifyCsv, readSpotifyJson } from "./spotify.js";
import { parseTime, timeFormatsText } from "./time.js";
import { formatNames, type IngestOptions, type IngestRecord, presetNames } from "./types.js";

export { listSourceFiles } from "./files.js";
export { presetHelp } from "./help.js";
export { parseTime } from "./time.js";
export type { FormatName, IngestOptions, IngestRecord, PresetName } from "./types.js";
export { formatNames, presetNames } from "./types.js";

/** Throws for options the readers refuse; returns defaultEndTime normalised. */
export function checkIngestOptions(options: IngestOptions): string | undefined {
  if (options.preset !== undefined && !presetNames.includes(options.preset)) {
    throw new Error(`unknown preset "${options.preset}"; the presets are ${presetNames.join(", ")}`);
  }
  if (options.format !== undefined && !formatNames.includes(options.format)) {
    throw new Error(`unknown format "${options.format}"; the formats are ${formatNames.join(", ")}`);
  }
  if (options.user !== undefined && (options.user.trim() === "" || options.user.length > 200)) {
    throw new Error("the user option must be 1 to 200 characters");
  }
  checkMap(options.map);
  if (options.defaultEndTime === undefined) return undefined;
  const t = parseTime(options.defaultEndTime);
  if (t === undefined) {
    throw new Error(
      `defaultEndTime: expected ${timeFormatsText}, got ${JSON.stringify(options.defaultEndTime)}`,
    );
  }
  return t;
}

async function* readFile(file: string, ctx: ReadContext): Batches {
  switch (ctx.options.preset ?? "tastebud") {
    case "spotify":
      if (/\.json(\.gz)?$/i.test(file) || ctx.options.format === "json") yield* readSpotifyJson(file, ctx);
      else yield* readSpotifyCsv(file, ctx);
      return;
    case "movielens":
      yield* readMovielens(file, ctx);
      return;
    case "lastfm":
      yield* readLastfm(file, ctx);
      return;
    default:
      switch (await genericFormat(file, ctx)) {
        case "csv":
          yield* readGenericCsv(file, ctx);
          return;
        case "jsonl":
          yield* readGenericJsonl(file, ctx);
          return;
        case "json":
          yield* readGenericJson(file, ctx);
          return;
        case "parquet":
          yield* readGenericParquet(file, ctx);
          return;
      }
  }
}

/**
 * Reads the files (folders are expanded by listSourceFiles) one after another and yields their plays, item
 * records and rejects in file order. Each item is emitted once per call (see ItemTracker).
 */
export async function* readSource(
  paths: string[],
  options: IngestOptions = {},
): AsyncGenerator<IngestRecord> {
  for await (const batch of readSourceBatches(paths, options)) {
    for (const record of batch) yield record;
  }
}

/**
 * The same records as readSource, in the batches the readers produce (about a thousand rows of CSV, 4,096
 * elements of a JSON array, 2,048 Parquet rows, never empty): for a consumer that appends in batches anyway
 * and would rather not pay one async step per row.
 */
export async function* readSourceBatches(
  paths: string[],
  options: IngestOptions = {},
): AsyncGenerator<IngestRecord[], void, undefined> {
  checkIngestOptions(options);
  const files = await listSourceFiles(paths, options);
  if (files.length === 0) {
    throw fileError(paths.join(", "), `no source files found for the ${options.preset ?? "tastebud"} preset`);
  }
  const ctx = newReadContext(options);
  const onBytesRead = options.onBytesRead;
  for (const file of files) {
    ctx.countBytes = onBytesRead ? (bytes) => onBytesRead(file, bytes) : undefined;
    for await (const batch of readFile(file, ctx)) {
      if (batch.length > 0) yield batch;
    }
  }
}
