/** Helpers the benchmarks share: medians over runs, and recording a result in bench/results.jsonl. */
import { execSync } from "node:child_process";
import { appendFileSync } from "node:fs";

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The short commit id of HEAD, or "unknown" outside a git checkout. */
export function commit(): string {
  try {
    return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** Appends one result as a JSON line to bench/results.jsonl. */
export function appendResult(result: unknown): void {
  appendFileSync(new URL("./results.jsonl", import.meta.url), `${JSON.stringify(result)}\n`);
}
