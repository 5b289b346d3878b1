import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentServes, modelFolders, registered, start, tastebudOk, trainedStore } from "./processes.js";

/**
 * kill -9 during `tastebud train`: the version that was current stays current and loads, no version folder
 * without its manifest is ever listed or served, the next open removes what the dead save left, and training
 * again succeeds.
 */
const dir = mkdtempSync(join(tmpdir(), "tastebud-kill-train-"));
const store = join(dir, "t.duckdb");
const models = `${store}.models`;
const quickTrain = ["--factors", "8", "--epochs", "2", "--seed", "1", "--no-topn", "--store", store];
let user: string;
let first: string;

beforeAll(async () => {
  // The same settings as quickTrain, in this process: the kills below are what is tested.
  const { world, version } = await trainedStore(dir, store, { users: 100, items: 600, days: 20, seed: 3 });
  user = world.events[0].user;
  first = version;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kill -9 during tastebud train", () => {
  it("mid-epoch: the previous model stays current and serves; training again succeeds", async () => {
    const train = start([
      "train",
      "--loss",
      "warp",
      "--factors",
      "32",
      "--epochs",
      "300",
      "--no-topn",
      "--store",
      store,
    ]);
    // A progress line "train <phase>: done/total" with done < total is printed between two epochs; the 300
    // epochs take over a second, far longer than the kill takes to arrive.
    const mid = await train.line((l) => {
      const m = /^train (calibration|final): (\d+)\/(\d+)$/.exec(l);
      return m !== null && Number(m[2]) < Number(m[3]);
    });
    await train.kill9();
    expect(mid, train.stderr()).not.toBeNull();

    // Nothing new registered, the previous version serves, and every version folder on disk is complete
    // (the dead thread wrote, at most, a `.tmp-*` folder, which opening the store removed).
    expect(await registered(store)).toEqual([first]);
    expect(await currentServes(store, user)).toBe(first);
    expect(modelFolders(models)).toEqual({ complete: [first], other: [] });

    const after = JSON.parse(await tastebudOk(["train", "--json", ...quickTrain])).version;
    expect(await currentServes(store, user)).toBe(after);
  });

  it("while saving: whichever version is current is complete and serves; the dead save's files go", async () => {
    const versions = await registered(store);
    // A larger model than above, so that its save (several fsynced files) is not over in an instant.
    const train = start(["train", "--factors", "128", "--epochs", "1", "--no-topn", "--store", store]);
    const saving = await train.line((l) => l.startsWith("save model"));
    await train.kill9();
    expect(saving, train.stderr()).not.toBeNull();
    const left = modelFolders(models);
    // The kill may land before the rename (a `.tmp-*` folder left), after it but before the registration (a
    // complete folder never registered, so never served), or after both; in every case the current version
    // is complete and loads.
    expect(left.other.every((name) => name.startsWith(".tmp-"))).toBe(true);
    const current = await currentServes(store, user);
    expect(left.complete).toContain(current);
    expect(left.complete).toEqual(expect.arrayContaining(await registered(store)));
    console.info(
      `kill while saving left ${left.other.length ? left.other.join(", ") : "no temporary folder"}; current: ${versions.includes(current) ? "the previous version" : "the new one"}`,
    );
    // currentServes opened the store: the dead process's temporary folder is gone now.
    expect(modelFolders(models).other).toEqual([]);
  });
});
