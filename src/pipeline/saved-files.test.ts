import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultRewriteOptions, type RewriteStats, RewriteTable } from "../core/rewriting/rewrite-table.js";
import { Engine } from "../engine.js";
import { evaluationsDir } from "../services/insights.js";
import { abandonedAfterMs, removeAbandonedTemporaries } from "./model-files.js";
import { loadCurrentRewriteTable, rewritesDir, saveRewriteTable } from "./rewrite-files.js";

/** What the models folder keeps across builds and crashes (issue 12's smaller points). */

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "tastebud-saved-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A table with one rule, told apart by its source text. */
function tableWith(source: string): RewriteTable {
  const rule = {
    source,
    rewrite: `${source} again`,
    support: 1,
    pathUsers: 1,
    sourceSuccess: 0,
    sourceFailure: 1,
    sourceDirectSuccess: 0,
    rewriteSuccess: 1,
    gain: 1,
    visits: 1,
    contribution: 1,
  };
  return new RewriteTable([rule], { rules: 1 } as RewriteStats, defaultRewriteOptions);
}

describe("the current rewrite table", () => {
  it("is the last one built, even when several are built within one second", () => {
    const models = freshDir();
    // Version names sort by time to the second, then by a random suffix: by name, about every other
    // one of these would have lost to an older table of the same second.
    for (let n = 0; n < 8; n++) {
      const saved = saveRewriteTable(models, tableWith(`request ${n}`));
      const current = loadCurrentRewriteTable(models);
      expect(current?.version).toBe(saved.version);
      expect(current?.table.rules[0].source).toBe(`request ${n}`);
    }
    // No temporary file is left beside the tables and the pointer.
    expect(readdirSync(rewritesDir(models)).filter((f) => f.startsWith("."))).toEqual([]);
  });
});

describe("temporaries of crashed saves", () => {
  /** The pid of a process that has exited (its number is free unless the system reuses it). */
  const deadPid = () => spawnSync(process.execPath, ["-e", ""]).pid;

  it("are removed when their writer is gone or they are too old, never while a live writer may be saving", () => {
    const dir = freshDir();
    const make = (name: string, ageMs = 0) => {
      const path = join(dir, name);
      mkdirSync(path);
      writeFileSync(join(path, "user-factors.f32"), "partial");
      const at = (Date.now() - ageMs) / 1000;
      utimesSync(path, at, at);
    };
    const dead = `.tmp-v20260101-000000-abc123-${deadPid()}`;
    const inProgress = `.tmp-v20260101-000001-abc124-${process.pid}`;
    // A live pid on a folder older than any save: the pid was reused after a crash.
    const stale = `.tmp-v20260101-000002-abc125-${process.pid}`;
    make(dead);
    make(inProgress, 60_000);
    make(stale, abandonedAfterMs + 60_000);
    make("v20260101-000003-abc126"); // a finished version
    expect(removeAbandonedTemporaries(dir).sort()).toEqual([dead, stale].sort());
    expect(readdirSync(dir).sort()).toEqual([inProgress, "v20260101-000003-abc126"].sort());
  });

  it("are cleaned when an engine opens its models folder (versions, rewrite tables, evaluations)", async () => {
    const models = freshDir();
    const pid = deadPid();
    const left = [
      join(models, `.tmp-v20260101-000000-abc123-${pid}`),
      join(rewritesDir(models), `.tmp-v20260101-000000-abc123-current.json-${pid}`),
      join(evaluationsDir(models), `.tmp-e000000000000001-eval-${pid}`),
    ];
    for (const path of left) {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, "partial");
    }
    const engine = await Engine.open({ store: ":memory:", models });
    await engine.close();
    for (const path of left) expect(existsSync(path)).toBe(false);
  });
});
