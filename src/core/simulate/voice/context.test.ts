import { describe, expect, it } from "vitest";
import { kindWeights, type SessionContext } from "./context.js";
import { voiceKinds } from "./titles.js";

const at = (ctx: Partial<SessionContext>) => {
  const w = kindWeights({
    deviceType: "speaker",
    hasScreen: false,
    deviceState: "idle",
    hour: 14,
    weekday: 2,
    ...ctx,
  });
  const total = w.reduce((a, b) => a + b, 0);
  return Object.fromEntries(voiceKinds.map((k, i) => [k, w[i] / total]));
};

describe("kindWeights", () => {
  it("pulls screens towards movies and speakers towards books", () => {
    const speaker = at({});
    const tv = at({ deviceType: "tv", hasScreen: true, hour: 20 });
    expect(tv.movie).toBeGreaterThan(10 * speaker.movie);
    expect(speaker.book + speaker.audiobook).toBeGreaterThan(3 * (tv.book + tv.audiobook));
  });

  it("pulls mornings towards podcasts and cars towards audiobooks", () => {
    expect(at({ hour: 7 }).podcast).toBeGreaterThan(1.5 * at({ hour: 14 }).podcast);
    expect(at({ deviceType: "car", activity: "driving" }).audiobook).toBeGreaterThan(1.5 * at({}).audiobook);
  });
});
