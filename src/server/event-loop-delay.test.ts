import { describe, expect, it } from "vitest";
import { EventLoopDelay } from "./event-loop-delay.js";

const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // The thread does nothing else meanwhile: one long turn, as a stall in serving would be.
  }
};
const turns = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the serving thread's event-loop delay", () => {
  it("reports a turn that held the thread, then starts a new window", async () => {
    const delay = new EventLoopDelay(5);
    try {
      await turns(30);
      block(150);
      await turns(30);
      const stalled = delay.take();
      // The monitor's timer was due during the 150 ms turn and ran only after it.
      expect(stalled.maxSeconds).toBeGreaterThanOrEqual(0.1);
      expect(stalled.p99Seconds).toBeLessThanOrEqual(stalled.maxSeconds);
      // Taken in the same turn: the new window has no sample yet, so the stall is not reported twice.
      expect(delay.take()).toEqual({ maxSeconds: 0, p99Seconds: 0 });
    } finally {
      delay.close();
    }
  });

  it("peek reports the open window without closing it, so the next take still sees the stall", async () => {
    const delay = new EventLoopDelay(5);
    try {
      const opened = delay.windowStartedAtMs;
      await turns(30);
      block(150);
      await turns(30);
      const peeked = delay.peek();
      expect(peeked.maxSeconds).toBeGreaterThanOrEqual(0.1);
      expect(delay.windowStartedAtMs).toBe(opened);
      const taken = delay.take();
      expect(taken.maxSeconds).toBeGreaterThanOrEqual(peeked.maxSeconds);
      expect(delay.windowStartedAtMs).toBeGreaterThanOrEqual(opened);
      expect(delay.peek()).toEqual({ maxSeconds: 0, p99Seconds: 0 });
    } finally {
      delay.close();
    }
  });
});
