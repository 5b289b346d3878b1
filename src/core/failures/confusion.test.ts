import { describe, expect, it } from "vitest";
import { classificationReport } from "./confusion.js";

describe("classificationReport", () => {
  it("computes the confusion table, per-class F1 and macro-F1 by hand's numbers", () => {
    const truth = ["A", "A", "A", "B", "B", "C"];
    const pred = ["A", "A", "B", "B", "A", "C"];
    const r = classificationReport(["A", "B", "C"], truth, pred);
    expect(r.confusion.A).toEqual({ A: 2, B: 1, C: 0 });
    expect(r.confusion.B).toEqual({ A: 1, B: 1, C: 0 });
    // A: p 2/3, r 2/3; B: p 1/2, r 1/2; C: 1, 1.
    expect(r.perClass.A.f1).toBeCloseTo(2 / 3, 4);
    expect(r.perClass.B.f1).toBeCloseTo(0.5, 4);
    expect(r.macroF1).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 4);
    expect(r.accuracy).toBeCloseTo(4 / 6, 4);
  });

  it("leaves classes absent from the truth out of the macro average", () => {
    const r = classificationReport(["A", "B"], ["A", "A"], ["A", "A"]);
    expect(r.macroF1).toBe(1);
    expect(() => classificationReport(["A"], ["A"], ["Z"])).toThrow(/unknown label/);
  });
});
