import {
  type IngestRunOptions,
  type IngestSummary,
  ingestIntoStore,
  ingestRequestsIntoStore,
} from "../pipeline/ingest.js";
import type { ServiceContext } from "./context.js";
import type { PrivacyService } from "./privacy.js";

/** Getting events in: plays (with their catalogue) and request events, from files. */
export class EventsService {
  constructor(
    private readonly ctx: ServiceContext,
    /** Privacy mode: request text is perturbed before it is stored. */
    private readonly privacy: PrivacyService | null = null,
  ) {}

  /** Reads play files (CSV, JSON lines, JSON, Parquet; presets for known exports) into the store. */
  ingest(paths: string[], options: IngestRunOptions): Promise<IngestSummary> {
    return ingestIntoStore(this.ctx.store, paths, options);
  }

  /** Reads request events (voice or text turns) from JSONL/JSON files into the store. */
  ingestRequests(
    paths: string[],
    options: Pick<IngestRunOptions, "rejectsPath" | "batchSize" | "onProgress">,
  ): Promise<IngestSummary> {
    const privacy = this.privacy;
    return ingestRequestsIntoStore(this.ctx.store, paths, {
      ...options,
      ...(privacy ? { protect: (events) => privacy.protect(events) } : {}),
    });
  }
}
