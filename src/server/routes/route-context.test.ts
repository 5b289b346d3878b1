import { describe, expect, it } from "vitest";
import { StoredPlays } from "./route-context.js";

describe("StoredPlays", () => {
  it("adds each write's plays once: a count read while a write was under way is not taken", async () => {
    let inStore = 10;
    const plays = new StoredPlays(async () => inStore);
    expect(await plays.current()).toBe(10);
    // A write commits 3 plays; a count is read after its commit but before its answer.
    let answer = () => {};
    const write = plays.write(async () => {
      inStore += 3;
      await new Promise<void>((r) => (answer = r));
      return { inserted: 3 };
    });
    await new Promise((r) => setImmediate(r));
    expect(await plays.take(async () => inStore)).toBe(10);
    answer();
    await write;
    expect(await plays.current()).toBe(13);
    // A count that starts while a write is under way and ends after it is not taken either.
    let counted = () => {};
    const reading = plays.take(() => {
      const seen = inStore; // the snapshot the count reads, from before the write
      return new Promise<number>((r) => (counted = () => r(seen)));
    });
    await plays.write(async () => {
      inStore += 2;
      return { inserted: 2 };
    });
    counted();
    expect(await reading).toBe(15);
    // With nothing written meanwhile, the store's count is taken (plays written by someone else, say).
    inStore = 20;
    expect(await plays.recount()).toBe(20);
  });
});
