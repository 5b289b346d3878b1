/** Helpers the benchmarks share: medians over runs, and recording a result in bench/out/results.jsonl. */
import { execSync } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** p50, p99 and the maximum of latencies (nearest rank), and how many there were. */
export function percentiles(ms: number[]): { p50: number; p99: number; max: number; samples: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1], samples: s.length };
}

/** The short commit id of HEAD, or "unknown" outside a git checkout. */
export function commit(): string {
  try {
    return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/**
 * Appends one result as a JSON line to bench/out/results.jsonl: git-ignored, so running a benchmark
 * leaves the checkout clean (bench/results.jsonl keeps the results recorded before that, by hand).
 */
export function appendResult(result: unknown): void {
  const out = new URL("./out/", import.meta.url);
  mkdirSync(out, { recursive: true });
  appendFileSync(new URL("results.jsonl", out), `${JSON.stringify(result)}\n`);
}

/**
 * CPU time of this process so far, in ms (user + system, all its threads: the serving thread and V8's
 * garbage-collection helpers). On a busy machine a request's wall time includes waiting for a core; the CPU
 * time it adds is what the request itself costs, close to its latency on a quiet machine. (Linux's
 * per-thread schedstat was tried: it only advances at scheduler ticks, 4 ms here.)
 */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
