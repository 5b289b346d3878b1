import { describe, expect, it } from "vitest";
import { Random } from "../../core/random.js";
import { EventKeyFilter, keyWords } from "./event-key-filter.js";

/** A random 128-bit key, as the store's hashes are. */
function randomKey(random: Random): bigint {
  let key = 0n;
  for (let w = 0; w < 4; w++) key = (key << 32n) | BigInt(random.nextUint32());
  return key;
}

describe("EventKeyFilter", () => {
  it("holds every key added (no false negatives) and few others at capacity", () => {
    const next = new Random(7);
    const filter = new EventKeyFilter(50_000);
    const added = Array.from({ length: 50_000 }, () => randomKey(next));
    for (const key of added) filter.add(key);
    expect(added.every((key) => filter.mayHold(key))).toBe(true);
    let falsePositives = 0;
    const probes = 200_000;
    for (let p = 0; p < probes; p++) if (filter.mayHold(randomKey(next))) falsePositives++;
    // 32 bits a key, 22 probes: ~2e-7 in theory, so 200,000 probes should find at most a few. A filter
    // of 8 bits a key would find hundreds.
    expect(falsePositives).toBeLessThanOrEqual(3);
    expect(filter.overfull).toBe(false);
    filter.add(randomKey(next));
    expect(filter.overfull).toBe(true);
  });

  it("slices a key into the same words the store's SQL selects", () => {
    const key = (0xdeadbeefn << 96n) | (0x01234567n << 64n) | (0x89abcdefn << 32n) | 0xfedcba98n;
    expect(keyWords(key)).toEqual([0xfedcba98, 0x89abcdef]);
    const filter = new EventKeyFilter(10);
    filter.addWords(0xfedcba98, 0x89abcdef);
    expect(filter.mayHold(key)).toBe(true);
  });
});
