/**
 * `npm run bench -- ingest-rss [--rows N] [--memory-limit SIZE] [--baseline CHECKOUT] [--rounds R]
 * [--jsonl-rows M]`: issue 14's memory target, peak RSS of `tastebud ingest` under 600 MB while it stores
 * 20 M rows. The Spotify CSV of bench/ingest.ts (N rows, default 20,000,000) is ingested by the CLI itself
 * (`src/cli/main.ts ingest --preset spotify`, the bulk path by default) into an empty store and then again
 * (every row a duplicate), each in a child process under /usr/bin/time, which gives its peak RSS, wall and
 * CPU seconds (user + system, DuckDB's threads included).
 *
 * --baseline runs the same two ingests with another checkout's CLI first in each round (R rounds, default
 * 1), so that before and after meet the same load; --memory-limit goes to this checkout's CLI only.
 * --jsonl-rows writes M plays (a bulk ingest of the M-row CSV, exported) as JSON lines and ingests that file
 * once per checkout (through the bulk path and its memory limit since commit 55ef9b8; row by row before).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runChild, SPOTIFY_SOURCE, spotifyCsvOfRows } from "./ingest.js";

const THIS_CHECKOUT = new URL("..", import.meta.url).pathname;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

/** One `tastebud ingest` in a child process: what /usr/bin/time saw and the CLI's JSON summary. */
export interface CliIngestFigures {
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  exitCode: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  load: number[];
  /** The CLI's error line when it failed (e.g. out of memory under the limit); the figures are then up to it. */
  error?: string;
}

/** `tastebud ingest <file> --store <store> --json ...args` run from `checkout`'s sources, under /usr/bin/time. */
export function cliIngest(checkout: string, file: string, store: string, args: string[]): CliIngestFigures {
  const timeFile = `${store}.time`;
  const at = load();
  const run = spawnSync(
    "/usr/bin/time",
    [
      "-f",
      "%e %U %S %M",
      "-o",
      timeFile,
      process.execPath,
      "--import",
      "tsx",
      "src/cli/main.ts",
      "ingest",
      file,
      "--store",
      store,
      "--json",
      ...args,
    ],
    { cwd: checkout, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 24 },
  );
  // Exit code 3: some rows rejected (the shared histories hold a few bad rows), the rest stored. A failed
  // ingest (exit 1: main ran out of memory under 256MB on 20 M rows) is a result too, not the bench's end.
  const error =
    run.status === 0 || run.status === 3
      ? undefined
      : (run.stderr.split("\n").find((l) => l.startsWith("tastebud:")) ?? `exit code ${run.status}`);
  if (run.status === null) throw new Error(`tastebud ingest was killed in ${checkout}: ${run.stderr}`);
  const [wall, user, system, maxKb] =
    readFileSync(timeFile, "utf8").trim().split("\n").pop()?.split(" ").map(Number) ?? [];
  const summary = error ? {} : JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
  return {
    wallSeconds: wall,
    cpuSeconds: Math.round((user + system) * 100) / 100,
    peakRssMB: Math.round(maxKb / 1024),
    exitCode: run.status,
    accepted: summary.accepted,
    duplicates: summary.duplicates,
    rejected: summary.rejected,
    load: at,
    ...(error ? { error } : {}),
  };
}

export async function ingestRssBench(
  options: {
    rows?: number;
    memoryLimit?: string;
    baseline?: string;
    rounds?: number;
    jsonlRows?: number;
    log?: (text: string) => void;
  } = {},
): Promise<object> {
  const log = options.log ?? (() => {});
  if (!existsSync(SPOTIFY_SOURCE)) return { skipped: `${SPOTIFY_SOURCE} is absent` };
  if (!existsSync("/usr/bin/time")) return { skipped: "/usr/bin/time is absent (apt-get install time)" };
  const rows = options.rows ?? 20_000_000;
  log(`writing a ${rows}-row Spotify CSV ...`);
  const file = await spotifyCsvOfRows(rows);
  const checkouts: [string, string, string[]][] = [
    ...(options.baseline ? [["baseline", resolve(options.baseline), []] as [string, string, string[]]] : []),
    ["this", THIS_CHECKOUT, options.memoryLimit ? ["--memory-limit", options.memoryLimit] : []],
  ];
  const dir = mkdtempSync(join(tmpdir(), "tastebud-bench-ingest-rss-"));
  const before = load();
  try {
    const runs: Record<string, { ingest: CliIngestFigures[]; reingest: CliIngestFigures[] }> = {};
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      for (const [name, checkout, args] of checkouts) {
        const store = join(dir, `${name}.duckdb`);
        rmSync(store, { force: true });
        rmSync(`${store}.wal`, { force: true });
        runs[name] ??= { ingest: [], reingest: [] };
        log(`round ${round + 1}, ${name}: tastebud ingest of ${rows} rows ...`);
        runs[name].ingest.push(cliIngest(checkout, file, store, ["--preset", "spotify", ...args]));
        log(`round ${round + 1}, ${name}: the same file again ...`);
        runs[name].reingest.push(cliIngest(checkout, file, store, ["--preset", "spotify", ...args]));
      }
    }
    const jsonl: Record<string, CliIngestFigures> = {};
    if (options.jsonlRows) {
      log(`writing ${options.jsonlRows} plays as JSON lines ...`);
      const source = join(dir, "jsonl-source.duckdb");
      runChild("prepare", await spotifyCsvOfRows(options.jsonlRows), source, "./ingest-formats-run.ts");
      for (const [name, checkout, args] of checkouts) {
        log(`${name}: tastebud ingest of the JSON lines (row by row) ...`);
        jsonl[name] = cliIngest(checkout, `${source}.jsonl`, join(dir, `${name}-jsonl.duckdb`), args);
      }
    }
    return {
      rows,
      fileMB: Math.round(statSync(file).size / 1e5) / 10,
      memoryLimit: options.memoryLimit ?? "the CLI's default",
      checkouts: Object.fromEntries(
        checkouts.map(([name, checkout]) => [name, `${checkout} at ${headOf(checkout)}`]),
      ),
      runs,
      ...(options.jsonlRows ? { jsonLines: { rows: options.jsonlRows, ...jsonl } } : {}),
      targetMB: 600,
      loadAverage: { before, after: load() },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function headOf(checkout: string): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: checkout, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}
