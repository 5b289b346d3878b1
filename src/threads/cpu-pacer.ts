/**
 * Keeps a thread's long job to a share of one core by resting between its steps: after each step, the
 * thread sleeps long enough that the time it worked since the last rest is `share` of the time that
 * passed. A serving replica reads a new model version this way while the old one answers: the read
 * takes longer, and the thread answering requests, which on a small machine shares its cores with the
 * reader, its garbage collection and every other process, loses less of a core at any one moment.
 * Niceness alone did not do it: on 2 cores the quiet cluster bench's p99 during a local swap stayed
 * 3.7-7.5x the steady one while the reading thread already ran at nice 10.
 *
 * Wall time, not the thread's CPU time, is what is measured: a step that waited for a core still held
 * the work back from the requests, and rests are what give them the core.
 */
export interface CpuPacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: CpuPacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Rests shorter than this are saved up: a timer cannot sleep less than about a millisecond. */
const MIN_REST_MS = 2;

export class CpuPacer {
  private workingSince: number;
  private restedMs = 0;

  /** `share` in (0, 1]: 1 never rests. */
  constructor(
    readonly share: number,
    private readonly clock: CpuPacerClock = realClock,
  ) {
    if (!(share > 0 && share <= 1)) throw new RangeError(`a CPU share is in (0, 1], got ${share}`);
    this.workingSince = clock.now();
  }

  /** Total time spent resting so far, ms. */
  get rested(): number {
    return this.restedMs;
  }

  /** Call between steps: rests when the steps since the last rest have used more than the share. */
  async breathe(): Promise<void> {
    if (this.share >= 1) return;
    const worked = this.clock.now() - this.workingSince;
    const rest = (worked * (1 - this.share)) / this.share;
    if (rest < MIN_REST_MS) return;
    await this.clock.sleep(rest);
    this.restedMs += rest;
    this.workingSince = this.clock.now();
  }
}
