import { describe, expect, it } from "vitest";
import { DeletionIndex } from "./deletion-index.js";

describe("DeletionIndex", () => {
  const strings = ["love", "hello", "rain", "a much longer string"];
  const index = new DeletionIndex(strings, 8);
  const found = (q: string) => index.lookup(q).map((id) => strings[id]);

  it("finds strings within one edit", () => {
    expect(found("love")).toContain("love");
    expect(found("lvoe")).toContain("love"); // swap
    expect(found("lov")).toContain("love"); // deletion
    expect(found("loove")).toContain("love"); // insertion
    expect(found("lave")).toContain("love"); // substitution
    expect(found("helo")).toContain("hello");
  });

  it("skips long strings and far queries", () => {
    expect(found("a much longer string")).toEqual([]);
    expect(found("xyzw")).toEqual([]);
  });
});
