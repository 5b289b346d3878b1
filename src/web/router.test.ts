import { describe, expect, it } from "vitest";
import { href, parseHash } from "./router.js";

describe("dashboard hash routes", () => {
  it("reads a page and its parameters, overview by default", () => {
    expect(parseHash("")).toEqual({ page: "overview", params: [] });
    expect(parseHash("#/")).toEqual({ page: "overview", params: [] });
    expect(parseHash("#/listener/u0001")).toEqual({ page: "listener", params: ["u0001"] });
  });

  it("round-trips ids with slashes, spaces and pipes", () => {
    for (const id of ["Adele|Hello", "a/b c", "ü?#%"])
      expect(parseHash(href("listener", id)).params).toEqual([id]);
  });
});
