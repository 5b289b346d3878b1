/**
 * Reads model versions' folders for serving (see version-reader.ts), one message per version, and posts
 * each back packed for the serving thread (version-transfer.ts): typed arrays transferred rather than
 * copied, lists of ids and catalogue items as a few JSON strings. Stays until its parent ends it.
 */
import { parentPort } from "node:worker_threads";
import { buildCatalogueView } from "../../core/serving/catalogue-view.js";
import { readCatalogue } from "../../store/catalogue-source.js";
import { CpuPacer } from "../../threads/index.js";
import { loadManifest, loadModel, loadModelExtra, loadTopN, readArraysPaced } from "../model-files.js";
import type { VersionReaderMessage, VersionReadRequest } from "./version-reader.js";
import { packVersionFiles, type ReadVersion, versionTransferables } from "./version-transfer.js";

const port = parentPort;
if (!port) throw new Error("version-reader-worker.ts runs as a worker thread");

async function readVersion({
  dir,
  withModel,
  extras,
  catalogue,
  cpuShare,
}: VersionReadRequest): Promise<ReadVersion> {
  const pacer = new CpuPacer(cpuShare ?? 1);
  // Paced, the arrays are read first, a chunk between rests; unpaced, each loader reads its own files.
  const read =
    pacer.share < 1
      ? await readArraysPaced(dir, pacer, (name) => withModel || name.startsWith("topn-"))
      : undefined;
  const { model, manifest } = withModel ? loadModel(dir, read) : { model: null, manifest: loadManifest(dir) };
  await pacer.breathe();
  const modelItems = model?.items ?? catalogue?.modelItems;
  if (catalogue && !modelItems) throw new Error(`reading ${dir}: the catalogue view needs the model's items`);
  const recommender = loadTopN(dir, manifest, read);
  const extraModels = Object.fromEntries(extras.map((name) => [name, loadModelExtra(dir, manifest, name)]));
  await pacer.breathe();
  let view = null;
  if (catalogue && modelItems) {
    const rows = await readCatalogue(catalogue.source);
    await pacer.breathe();
    view = buildCatalogueView({ items: modelItems as string[] }, rows);
    await pacer.breathe();
  }
  return { manifest, model, recommender, extras: extraModels, view };
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
