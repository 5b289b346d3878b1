import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { presetHelp, presetNames } from "../../ingest/index.js";
import { catalogueItemSchema } from "../../schema/events.js";
import { BULK_MEMORY_LIMIT, isMemorySize } from "../../store/bulk-ingest.js";
import { besideStore } from "../../store/open-store.js";
import { exitCodes, UsageError } from "../errors.js";
import { addStoreOptions } from "../options.js";
import { Progress } from "../progress.js";
import { privacyOptionHelp, withEngine } from "../run.js";

export function ingestCommand(program: Command): void {
  const cmd = program
    .command("ingest")
    .description("read plays from files or folders into the store (CSV, CSV.gz, JSONL, JSON, Parquet)")
    .argument("[paths...]", "files or folders to read")
    .option("--preset <name>", `source format: ${presetNames.join(", ")}`)
    .option("--user <name>", "the owner of a personal export (Spotify JSON files carry no user)")
    .option("--format <name>", "force a file format: csv, jsonl, json, parquet")
    .option("--map <pairs>", "column mapping, e.g. user=uid,item=track_id,playedMs=ms")
    .option("--default-end-time <time>", "end time for sources without times (e.g. Last.fm counts)")
    .option("--catalogue <path>", "also upsert catalogue items from this JSON lines file")
    .option("--requests", "the files hold request events (voice or text turns, JSONL or JSON), not plays")
    .option("--privacy <spec>", `with --requests: ${privacyOptionHelp}`)
    .option("--rejects <path>", "where rejected rows go (default <store>.rejects.jsonl)")
    .option(
      "--batch-size <n>",
      "rows per transaction (default 20000; 500000 where the store reads the file itself)",
    )
    .option(
      "--memory-limit <size>",
      `the database's memory while it reads a file itself (the Spotify CSV), e.g. 512MB or 2GB; past it rows spill to <store>.tmp (default ${BULK_MEMORY_LIMIT})`,
    )
    .option(
      "--bus <url>",
      "NATS JetStream bus of serving replicas (nats://host:port[/STREAM]): each committed batch's new plays (or requests) are published, as the replicas publish what they accept over HTTP, so they fold them in without a retraining",
    )
    .option("--json", "print a JSON summary")
    .addHelpText(
      "after",
      `\nPresets:\n${Object.entries(presetHelp)
        .map(([name, text]) => `  ${name}: ${text}`)
        .join(
          "\n\n",
        )}\n\nExit codes: 0 all rows stored, 3 some rows rejected (the rest stored), 1 the ingest failed, 4 store in use.`,
    );
  addStoreOptions(cmd).action(async (paths: string[], opts) => {
    if (paths.length === 0 && !opts.catalogue)
      throw new UsageError("give at least one file or folder to ingest");
    if (opts.privacy && !opts.requests)
      throw new UsageError("--privacy applies to request events: add --requests");
    const map = parseMap(opts.map);
    const batchSize = opts.batchSize === undefined ? undefined : Number(opts.batchSize);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
      throw new UsageError("--batch-size expects a positive whole number");
    if (opts.memoryLimit !== undefined && !isMemorySize(opts.memoryLimit))
      throw new UsageError(`--memory-limit expects a size such as 256MB or 2GB, got "${opts.memoryLimit}"`);
    await withEngine(opts, async (engine) => {
      const progress = new Progress(!opts.json);
      let items = 0;
      if (opts.catalogue) items += await ingestCatalogue(engine.store, opts.catalogue);
      const rejectsPath = opts.rejects ?? besideStore(opts.store, ".rejects.jsonl");
      // By size on disk: known before the first row, unlike the number of rows.
      const megabytes = (bytes: number) => Math.round(bytes / 1e5) / 10;
      // A bulk ingest reads the whole file first, then stores it batch by batch: a second bar for that.
      const rows = (n: number) => n.toLocaleString("en");
      const onProgress = (p: {
        bytesRead: number;
        bytesTotal: number;
        phase?: string;
        accepted: number;
        rejected: number;
        duplicates: number;
      }) =>
        progress.update(
          p.phase === "storing" ? "ingest (MB stored)" : "ingest (MB read)",
          megabytes(p.bytesRead),
          megabytes(p.bytesTotal),
          `rows: ${rows(p.accepted)} stored, ${rows(p.duplicates)} already there, ${rows(p.rejected)} rejected`,
        );
      const summary =
        paths.length === 0
          ? { accepted: 0, rejected: 0, duplicates: 0, items: 0, rejectsFile: null }
          : opts.requests
            ? await engine.events.ingestRequests(paths, { rejectsPath, batchSize, onProgress })
            : await engine.events.ingest(paths, {
                preset: opts.preset,
                user: opts.user,
                format: opts.format,
                map,
                defaultEndTime: opts.defaultEndTime,
                rejectsPath,
                batchSize,
                memoryLimit: opts.memoryLimit,
                onProgress,
              });
      progress.stop();
      const out = {
        accepted: summary.accepted,
        rejected: summary.rejected,
        duplicates: summary.duplicates,
        rejectsFile: summary.rejectsFile,
        items: summary.items + items,
        storedPlays: await engine.store.countPlays(),
        storedRequests: await engine.store.countRequests(),
        ...(engine.replication.active
          ? {
              busMessages: engine.replication.stats.published,
              busFailures: engine.replication.stats.publishFailures,
            }
          : {}),
      };
      if (opts.json) console.log(JSON.stringify(out));
      else {
        console.log(
          opts.requests
            ? `stored ${out.accepted} new requests, ${out.duplicates} already in the store, ${out.rejected} rejected; ${out.storedRequests} requests in ${engine.store.location}`
            : `stored ${out.accepted} new plays, ${out.duplicates} already in the store, ${out.rejected} rejected; ${out.storedPlays} plays in ${engine.store.location}`,
        );
        if (out.rejectsFile) console.log(`rejected rows (line, field, reason): ${out.rejectsFile}`);
        if (engine.replication.active)
          console.log(`published ${out.busMessages} messages on ${engine.replication.location}`);
      }
      // The store has every row; replicas that missed a message see those plays at the next training.
      if (out.busFailures)
        console.error(
          `warning: ${out.busFailures} messages could not be published on ${engine.replication.location}`,
        );
      if (summary.rejected > 0) process.exitCode = exitCodes.someRowsRejected;
    });
  });
}

function parseMap(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const map: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [ours, theirs] = pair.split("=").map((s) => s.trim());
    if (!ours || !theirs)
      throw new UsageError(`--map expects field=column pairs separated by commas, got "${pair}"`);
    map[ours] = theirs;
  }
  return map;
}

async function ingestCatalogue(
  store: { upsertItems: (items: never[]) => Promise<number> },
  path: string,
): Promise<number> {
  const lines = readFileSync(path, "utf8").split("\n");
  const items = [];
  for (let n = 0; n < lines.length; n++) {
    if (!lines[n].trim()) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(lines[n]);
    } catch {
      throw new UsageError(`${path} line ${n + 1}: not valid JSON`);
    }
    const parsed = catalogueItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(`${path} line ${n + 1}, field ${issue.path.join(".") || "row"}: ${issue.message}`);
    }
    items.push(parsed.data);
  }
  return store.upsertItems(items as never[]);
}
