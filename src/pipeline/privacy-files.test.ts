import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultEmbeddingPath } from "./privacy-files.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("the shipped embedding table", () => {
  it("is in the npm package, where defaultEmbeddingPath looks for it (privacy mode works when installed)", () => {
    const path = defaultEmbeddingPath();
    expect(existsSync(path)).toBe(true);
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: root,
        encoding: "utf8",
      }),
    ) as Array<{ files: Array<{ path: string }> }>;
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain(relative(root, path));
    expect(files).toContain("data/privacy/SOURCE.md");
    // The neighbourhood cache is derived per machine: never shipped.
    expect(files.some((f) => f.endsWith(".neighbours.bin"))).toBe(false);
  });
});
