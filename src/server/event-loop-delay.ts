import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** The event-loop delay over one window, in seconds (0 when nothing was sampled yet). */
export interface EventLoopDelayWindow {
  maxSeconds: number;
  p99Seconds: number;
}

/**
 * How late the serving thread's event loop ran, per scrape window: the longest delay and the 99th
 * percentile since the previous take(). A request's latency during a model swap is a figure over a
 * window that grows with the swap; the longest turn the thread could not answer in is the swap's own cost.
 * Reset at each read, as Prometheus clients commonly do for a maximum (a lifetime maximum would say
 * nothing after the first stall).
 */
export class EventLoopDelay {
  private readonly histogram: IntervalHistogram;
  private windowStartMs = Date.now();

  constructor(resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  /** Seconds: the longest and the 99th-percentile delay since the previous take (0 when none was sampled). */
  take(): EventLoopDelayWindow {
    const window = this.peek();
    this.histogram.reset();
    this.windowStartMs = Date.now();
    return window;
  }

  /**
   * The window so far, left open: what the next /metrics scrape would report up to now. Readers other
   * than the scraper (the serving page) use this, so they never cut the scraper's window short and hide a
   * stall from it.
   */
  peek(): EventLoopDelayWindow {
    const h = this.histogram;
    return h.count > 0
      ? { maxSeconds: h.max / 1e9, p99Seconds: h.percentile(99) / 1e9 }
      : { maxSeconds: 0, p99Seconds: 0 };
  }

  /** When the current window began (epoch ms): the previous take, or the start. */
  get windowStartedAtMs(): number {
    return this.windowStartMs;
  }

  close(): void {
    this.histogram.disable();
  }
}
