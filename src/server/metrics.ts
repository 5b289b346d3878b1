/**
 * Request metrics in the Prometheus text exposition format (version 0.0.4), kept by hand: a counter of
 * requests by route, method and status, a latency histogram by route, and the rows of HTTP batches by route and
 * outcome (accepted, duplicate, rejected).
 */

export const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private readonly jobs = new Map<string, number>();
  private readonly rows = new Map<string, number>();

  /** Records one finished request; `route` is the route pattern (e.g. /v1/items/:id/similar). */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = labels({ route, method, status: String(status) });
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lk = labels({ route, method });
    let h = this.latency.get(lk);
    if (!h) {
      h = { counts: new Array(latencyBuckets.length).fill(0), sum: 0, count: 0 };
      this.latency.set(lk, h);
    }
    for (let b = 0; b < latencyBuckets.length; b++) if (seconds <= latencyBuckets[b]) h.counts[b]++;
    h.sum += seconds;
    h.count++;
  }

  /** Counts the rows of one HTTP batch (POST /v1/events and the like) by what became of them. */
  batchRows(route: string, counts: { accepted: number; duplicates: number; rejected: number }): void {
    const add = (outcome: string, n: number) => {
      const key = labels({ route, outcome });
      this.rows.set(key, (this.rows.get(key) ?? 0) + n);
    };
    add("accepted", counts.accepted);
    add("duplicate", counts.duplicates);
    add("rejected", counts.rejected);
  }

  trainJobFinished(status: "succeeded" | "failed" | "cancelled"): void {
    const key = labels({ status });
    this.jobs.set(key, (this.jobs.get(key) ?? 0) + 1);
  }

  /** The whole exposition, with the gauges the caller reads at scrape time. */
  render(gauges: {
    modelVersion: string | null;
    eventsStored: number | null;
    training: boolean;
    /** The serving thread's event-loop delay since the previous scrape (EventLoopDelay.take). */
    eventLoop?: { maxSeconds: number; p99Seconds: number };
  }): string {
    const out: string[] = [];
    out.push(
      "# HELP tastebud_http_requests_total HTTP requests answered, by route pattern, method and status.",
    );
    out.push("# TYPE tastebud_http_requests_total counter");
    for (const [key, n] of this.requests) out.push(`tastebud_http_requests_total{${key}} ${n}`);

    out.push("# HELP tastebud_http_request_duration_seconds Time to answer a request, by route pattern.");
    out.push("# TYPE tastebud_http_request_duration_seconds histogram");
    for (const [key, h] of this.latency) {
      latencyBuckets.forEach((le, b) => {
        out.push(`tastebud_http_request_duration_seconds_bucket{${key},le="${le}"} ${h.counts[b]}`);
      });
      out.push(`tastebud_http_request_duration_seconds_bucket{${key},le="+Inf"} ${h.count}`);
      out.push(`tastebud_http_request_duration_seconds_sum{${key}} ${h.sum}`);
      out.push(`tastebud_http_request_duration_seconds_count{${key}} ${h.count}`);
    }

    out.push(
      "# HELP tastebud_batch_rows_total Rows of HTTP batches, by route and outcome (accepted, duplicate, rejected).",
    );
    out.push("# TYPE tastebud_batch_rows_total counter");
    for (const [key, n] of this.rows) out.push(`tastebud_batch_rows_total{${key}} ${n}`);

    out.push("# HELP tastebud_train_jobs_total Training jobs finished, by outcome.");
    out.push("# TYPE tastebud_train_jobs_total counter");
    for (const status of ["succeeded", "failed"]) {
      const key = labels({ status });
      out.push(`tastebud_train_jobs_total{${key}} ${this.jobs.get(key) ?? 0}`);
    }

    out.push("# HELP tastebud_training Whether a training job is running.");
    out.push("# TYPE tastebud_training gauge");
    out.push(`tastebud_training ${gauges.training ? 1 : 0}`);

    out.push(
      "# HELP tastebud_model_info The model version serving answers (absent before the first training).",
    );
    out.push("# TYPE tastebud_model_info gauge");
    if (gauges.modelVersion !== null)
      out.push(`tastebud_model_info{${labels({ version: gauges.modelVersion })}} 1`);

    out.push("# HELP tastebud_events_stored Plays in the event store.");
    out.push("# TYPE tastebud_events_stored gauge");
    if (gauges.eventsStored !== null) out.push(`tastebud_events_stored ${gauges.eventsStored}`);

    if (gauges.eventLoop) {
      out.push(
        "# HELP tastebud_event_loop_delay_max_seconds Longest delay of the serving thread's event loop since the previous scrape.",
      );
      out.push("# TYPE tastebud_event_loop_delay_max_seconds gauge");
      out.push(`tastebud_event_loop_delay_max_seconds ${gauges.eventLoop.maxSeconds}`);
      out.push(
        "# HELP tastebud_event_loop_delay_p99_seconds 99th percentile of the serving thread's event-loop delay since the previous scrape.",
      );
      out.push("# TYPE tastebud_event_loop_delay_p99_seconds gauge");
      out.push(`tastebud_event_loop_delay_p99_seconds ${gauges.eventLoop.p99Seconds}`);
    }
    return `${out.join("\n")}\n`;
  }
}

function labels(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(",");
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
