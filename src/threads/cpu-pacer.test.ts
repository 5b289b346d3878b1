import { describe, expect, it } from "vitest";
import { CpuPacer, type CpuPacerClock } from "./cpu-pacer.js";

/** A clock that moves only when told to (work) or when the pacer sleeps, recording each sleep. */
function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  const clock: CpuPacerClock = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, work: (ms: number) => (now += ms), now: () => now };
}

describe("CpuPacer", () => {
  it("rests so that work is the given share of the time that passed", async () => {
    const c = fakeClock();
    const pacer = new CpuPacer(0.25, c.clock);
    let worked = 0;
    for (const ms of [10, 3, 40, 7, 0.2, 25]) {
      c.work(ms);
      worked += ms;
      await pacer.breathe();
    }
    // Whatever was rested is exactly what the share asks for the work done up to the last rest.
    expect(worked / c.now()).toBeCloseTo(0.25, 6);
    expect(pacer.rested).toBeCloseTo(c.now() - worked, 6);
    expect(c.sleeps[0]).toBeCloseTo(30, 6);
  });

  it("saves up rests too short for a timer and takes them together", async () => {
    const c = fakeClock();
    const pacer = new CpuPacer(0.5, c.clock);
    c.work(0.5);
    await pacer.breathe();
    c.work(0.5);
    await pacer.breathe();
    expect(c.sleeps).toEqual([]);
    c.work(1.5);
    await pacer.breathe();
    expect(c.sleeps).toEqual([2.5]);
  });

  it("never rests at a share of 1 and refuses shares outside (0, 1]", async () => {
    const c = fakeClock();
    const pacer = new CpuPacer(1, c.clock);
    c.work(100);
    await pacer.breathe();
    expect(c.sleeps).toEqual([]);
    for (const bad of [0, -0.5, 1.5, Number.NaN]) expect(() => new CpuPacer(bad)).toThrow(RangeError);
  });
});
