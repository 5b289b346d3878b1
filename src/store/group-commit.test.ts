import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";
import { Mutex } from "./mutex.js";

/** A store of numbers: a commit stores a group's writes (sums of rows), failing on a write of -1. */
function numbers(options: { maxRows?: number; failAll?: boolean } = {}) {
  const mutex = new Mutex();
  const commits: number[][] = [];
  const stored: number[] = [];
  const groups = new GroupCommit<number[], number>({
    schedule: (body) => mutex.run(body),
    commit: async (writes) => {
      commits.push(writes.map((w) => w.length));
      await new Promise((r) => setTimeout(r, 1));
      if (options.failAll) throw new Error("disk full");
      if (writes.some((w) => w.includes(-1))) throw new Error("bad row");
      stored.push(...writes.flat());
      return writes.map((w) => w.reduce((a, b) => a + b, 0));
    },
    rowsOf: (w) => w.length,
    maxRows: options.maxRows ?? 1000,
    sharedFailure: (err) => (err as Error).message === "disk full",
  });
  return { mutex, commits, stored, groups };
}

describe("GroupCommit", () => {
  it("puts the writes that queue while the store is busy into the next commit, each answered with its own result", async () => {
    const { mutex, commits, groups } = numbers();
    let release = () => {};
    const busy = mutex.run(() => new Promise<void>((r) => (release = r)));
    const answers = Promise.all([[1], [2, 3], [4], [5, 6, 7]].map((w) => groups.add(w)));
    await new Promise((r) => setImmediate(r));
    expect(commits).toEqual([]);
    release();
    await busy;
    expect(await answers).toEqual([1, 5, 4, 18]);
    expect(commits).toEqual([[1, 2, 1, 3]]);
    // Writes that arrive during a commit go into the one after it.
    const first = groups.add([1]);
    await new Promise((r) => setImmediate(r));
    const later = [groups.add([2]), groups.add([3])];
    expect([await first, ...(await Promise.all(later))]).toEqual([1, 2, 3]);
    expect(commits.slice(1)).toEqual([[1], [1, 1]]);
  });

  it("caps a group's rows, the first write going whatever its size", async () => {
    const { commits, groups } = numbers({ maxRows: 3 });
    await Promise.all([[1, 1, 1, 1], [2], [3], [4], [5, 5]].map((w) => groups.add(w)));
    expect(commits).toEqual([[4], [1, 1, 1], [2]]);
  });

  it("fails only the write that cannot be committed: the others of its group are committed alone", async () => {
    const { commits, stored, groups } = numbers();
    const answers = await Promise.allSettled([[1], [-1], [3]].map((w) => groups.add(w)));
    expect(answers.map((a) => a.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(stored).toEqual([1, 3]);
    expect(commits).toEqual([[1, 1, 1], [1], [1], [1]]);
  });

  it("fails every write of the group at once when the store itself fails", async () => {
    const { commits, groups } = numbers({ failAll: true });
    const answers = await Promise.allSettled([[1], [2]].map((w) => groups.add(w)));
    expect(answers.map((a) => (a.status === "rejected" ? String(a.reason) : a.status))).toEqual([
      "Error: disk full",
      "Error: disk full",
    ]);
    expect(commits).toEqual([[1, 1]]);
  });
});
