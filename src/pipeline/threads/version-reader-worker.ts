/**
 * Reads model versions' folders for serving (see version-reader.ts), one message per version, and posts
 * each back packed for the serving thread (version-transfer.ts): typed arrays transferred rather than
 * copied, lists of ids and catalogue items as a few JSON strings. Stays until its parent ends it.
 */
import { parentPort } from "node:worker_threads";
import { buildCatalogueView } from "../../core/serving/catalogue-view.js";
import { readCatalogue } from "../../store/catalogue-source.js";
import { loadManifest, loadModel, loadModelExtra, loadTopN } from "../model-files.js";
import type { VersionReaderMessage, VersionReadRequest } from "./version-reader.js";
import { packVersionFiles, type ReadVersion, versionTransferables } from "./version-transfer.js";

const port = parentPort;
if (!port) throw new Error("version-reader-worker.ts runs as a worker thread");

async function readVersion({ dir, withModel, extras, catalogue }: VersionReadRequest): Promise<ReadVersion> {
  const { model, manifest } = withModel ? loadModel(dir) : { model: null, manifest: loadManifest(dir) };
  const modelItems = model?.items ?? catalogue?.modelItems;
  if (catalogue && !modelItems) throw new Error(`reading ${dir}: the catalogue view needs the model's items`);
  return {
    manifest,
    model,
    recommender: loadTopN(dir, manifest),
    extras: Object.fromEntries(extras.map((name) => [name, loadModelExtra(dir, manifest, name)])),
    view:
      catalogue && modelItems
        ? buildCatalogueView({ items: modelItems as string[] }, await readCatalogue(catalogue.source))
        : null,
  };
}

port.on("message", async ({ id, request }: { id: number; request: VersionReadRequest }) => {
  let answer: VersionReaderMessage;
  try {
    answer = { id, files: packVersionFiles(await readVersion(request)) };
  } catch (err) {
    answer = { id, error: err instanceof Error ? err : new Error(String(err)) };
  }
  port.postMessage(answer, "files" in answer ? versionTransferables(answer.files) : []);
});
