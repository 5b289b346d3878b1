import { describe, expect, it } from "vitest";
import { toTrainConfig, trainSettingsSchema } from "./config.js";

describe("train settings", () => {
  it("fill epochs, learning rate and regularization per loss unless given", () => {
    const bpr = toTrainConfig(trainSettingsSchema.parse({}));
    expect([bpr.bpr.epochs, bpr.bpr.learningRate]).toEqual([40, 0.05]);
    const warp = toTrainConfig(trainSettingsSchema.parse({ loss: "warp" }));
    expect([warp.loss, warp.bpr.epochs, warp.bpr.learningRate]).toEqual(["warp", 80, 0.02]);
    expect([bpr.bpr.regularization, warp.bpr.regularization]).toEqual([0.01, 0.0001]);
    const given = toTrainConfig(
      trainSettingsSchema.parse({ loss: "warp", epochs: 7, learningRate: 0.1, regularization: 0.2 }),
    );
    expect([given.bpr.epochs, given.bpr.learningRate, given.bpr.regularization]).toEqual([7, 0.1, 0.2]);
  });

  it("name the field that is wrong", () => {
    const r = trainSettingsSchema.safeParse({ loss: "warp", epochs: -1 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(["epochs"]);
  });
});
