import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/**
 * How late the serving thread's event loop ran, per scrape window: the longest delay and the 99th
 * percentile since the previous take(). A request's latency during a model swap is a figure over a
 * window that grows with the swap; the longest turn the thread could not answer in is the swap's own cost.
 * Reset at each read, as Prometheus clients commonly do for a maximum (a lifetime maximum would say
 * nothing after the first stall).
 */
export class EventLoopDelay {
  private readonly histogram: IntervalHistogram;

  constructor(resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** Seconds: the longest and the 99th-percentile delay since the previous take (0 when none was sampled). */
  take(): { maxSeconds: number; p99Seconds: number } {
    const h = this.histogram;
    const window = h.count > 0 ? { maxSeconds: h.max / 1e9, p99Seconds: h.percentile(99) / 1e9 } : null;
    h.reset();
    return window ?? { maxSeconds: 0, p99Seconds: 0 };
  }

  close(): void {
    this.histogram.disable();
  }
}
