import {
  type IngestRunOptions,
  type IngestSummary,
  ingestIntoStore,
  ingestRequestsIntoStore,
} from "../pipeline/ingest.js";
import type { ServiceContext } from "./context.js";
import type { PrivacyService } from "./privacy.js";
import type { ReplicationService } from "./replication.js";

/** Getting events in: plays (with their catalogue) and request events, from files. */
export class EventsService {
  constructor(
    private readonly ctx: ServiceContext,
    /** Privacy mode: request text is perturbed before it is stored. */
    private readonly privacy: PrivacyService | null = null,
    /** With a bus, what an ingest stores is published for the replicas, as the HTTP routes publish theirs. */
    private readonly replication: ReplicationService | null = null,
  ) {}

  /**
   * Reads play files (CSV, JSON lines, JSON, Parquet; presets for known exports) into the store. With a
   * bus, each committed batch's new plays are published: replicas fold them in as if posted to them.
   */
  ingest(paths: string[], options: IngestRunOptions): Promise<IngestSummary> {
    const replication = this.replication;
    return ingestIntoStore(
      this.ctx.store,
      paths,
      replication?.active
        ? {
            ...options,
            onStored: async (plays) => {
              await replication.playsAccepted(plays);
            },
          }
        : options,
    );
  }

  /** Reads request events (voice or text turns) from JSONL/JSON files into the store. */
  ingestRequests(
    paths: string[],
    options: Pick<IngestRunOptions, "rejectsPath" | "batchSize" | "onProgress">,
  ): Promise<IngestSummary> {
    const privacy = this.privacy;
    const replication = this.replication;
    return ingestRequestsIntoStore(this.ctx.store, paths, {
      ...options,
      ...(privacy ? { protect: (events) => privacy.protect(events) } : {}),
      ...(replication?.active ? { onStored: (events) => replication.requestsAccepted(events) } : {}),
    });
  }
}
