/**
 * For bench/cluster-replicas.ts, in a process of its own: registers a copy of a saved model version under a
 * new name as the store's current one, the way a trainer on another machine does, and prints the name.
 *   node --import tsx bench/register-elsewhere.ts <postgres url> <version folder> <folder elsewhere>
 * The copy's registered path is relative to <folder elsewhere>, where this process runs and the replicas
 * do not: it names nothing they can open, so they load the files from the store's copy.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newModelVersion } from "../src/pipeline/model-files.js";
import { PostgresEventStore } from "../src/store/postgres/postgres-store.js";

const [url, versionDir, elsewhere] = process.argv.slice(2);
const version = newModelVersion();
mkdirSync(elsewhere, { recursive: true });
cpSync(versionDir, join(elsewhere, version), { recursive: true });
const manifestPath = join(elsewhere, version, "manifest.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
writeFileSync(manifestPath, JSON.stringify({ ...manifest, version }));
process.chdir(elsewhere);
const store = await PostgresEventStore.open(url);
try {
  await store.registerModel({
    version,
    path: version,
    createdAt: new Date(),
    config: manifest.config,
    metrics: manifest.metrics,
    isCurrent: true,
  });
} finally {
  await store.close();
}
console.log(version);
