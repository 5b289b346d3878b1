import { describe, expect, it } from "vitest";
import { phoneticKey, phoneticPhrase } from "./phonetic.js";

describe("phoneticKey", () => {
  it.each([
    ["hello", "hallo"],
    ["night", "knight"],
    ["night", "nite"],
    ["phone", "fone"],
    ["Beyoncé", "beyonce"],
    ["write", "right"],
    ["catherine", "kathryn"],
    ["psycho", "sycho"],
    ["lamb", "lam"],
  ])("%s sounds like %s", (a, b) => {
    expect(phoneticKey(a)).toBe(phoneticKey(b));
  });

  it.each([
    ["hello", "yellow"],
    ["night", "light"],
    ["love", "dove"],
    ["rain", "train"],
  ])("%s does not sound like %s", (a, b) => {
    expect(phoneticKey(a)).not.toBe(phoneticKey(b));
  });

  it("gives fixed keys", () => {
    expect(phoneticKey("hello")).toBe("hl");
    expect(phoneticKey("knight")).toBe("nt");
    expect(phoneticKey("thunder")).toBe("0ntr");
    expect(phoneticKey("ocean")).toBe("asn");
    expect(phoneticKey("")).toBe("");
    expect(phoneticKey("любовь")).toBe("любовь");
  });

  it("keys phrases word by word", () => {
    expect(phoneticPhrase("midnight train")).toBe(phoneticPhrase("midnite trane"));
  });
});
