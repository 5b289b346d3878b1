import type { AffinityModel } from "../../core/affinity/affinity-model.js";
import type { TopNModel } from "../../core/recommend/index.js";
import { firstMessageOf } from "../../threads/index.js";
import type { ModelManifest } from "../model-files.js";
import { startWorker } from "./workers.js";

export interface VersionReadRequest {
  dir: string;
  /** Read the affinity model's arrays too (false when the caller holds the model it just trained). */
  withModel: boolean;
  /** Side models (`<name>.json` of the manifest's extras) to read when the version has them. */
  extras: readonly string[];
}

/** A model version's files as serving needs them, read and parsed by a worker thread. */
export interface VersionFiles {
  manifest: ModelManifest;
  model: AffinityModel | null;
  recommender: TopNModel | null;
  /** Each requested extra the version has, parsed (absent ones are null). */
  extras: Record<string, unknown>;
}

/**
 * Reads a model version's folder on a worker thread: its arrays (tens of MB for an item-item top-N model
 * of a few thousand items) are read and checked there and moved to this thread without a copy, so a
 * serving replica swapping in a new version never stalls its requests on the disk or on copying them.
 * The thread runs at background priority: profiled during a swap under load, the serving thread itself
 * did little (some 0.2 s of garbage collection and 50 ms of reading the catalogue), while this thread's
 * start (from source, compiling its modules) took seconds of a core the serving thread then waited for.
 */
export function readVersionOffThread(request: VersionReadRequest): Promise<VersionFiles> {
  return firstMessageOf(
    startWorker("version-reader-worker", request, [], { background: true }),
    "the model-reading thread",
  );
}
