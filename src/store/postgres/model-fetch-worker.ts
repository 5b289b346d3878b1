/** Fetches one model version's files from the store (see model-fetch.ts) and posts whether it had any. */
import { parentPort, workerData } from "node:worker_threads";
import pg from "pg";
import { fetchModelFiles, type ModelFetchRequest } from "./model-fetch.js";

const port = parentPort;
if (!port) throw new Error("model-fetch-worker.ts runs as a worker thread");
const { url, version, dir } = workerData as ModelFetchRequest;
const client = new pg.Client({ connectionString: url });
await client.connect();
try {
  port.postMessage(await fetchModelFiles(client, version, dir));
} finally {
  await client.end();
}
