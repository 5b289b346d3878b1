import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../core/random.js";

/**
 * A small embedding table for privacy-mode tests: the words of a music request plus 300 filler words in 8
 * dimensions, so the neighbourhoods are real but load instantly. Written as `table.txt` in `dir`.
 */
export function writeSmallEmbeddingTable(dir: string): string {
  const rng = new Random(11);
  const words = ["play", "the", "song", "by", "some", "music", "please", "put", "on", "a", "track", "."];
  for (let i = 0; i < 300; i++) words.push(`filler${i}`);
  const lines = words.map(
    (w) => `${w} ${Array.from({ length: 8 }, () => (rng.normal() * 2).toFixed(4)).join(" ")}`,
  );
  const path = join(dir, "table.txt");
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}
