import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { type BinnedThresholds, thresholdsFromJson } from "../core/thresholds/index.js";

/** File in the models folder with resolve's fitted play-or-ask thresholds per P* (eval --resolve-decision --save-decision). */
export const DECISION_FILE = "resolve-decision.json";

/**
 * The fitted thresholds resolve decides with, read once per models folder. A missing file means none (resolve
 * then plays when confidence >= P*); a malformed one is an error naming the file, not a silent fallback.
 */
export class DecisionPolicies {
  private loaded: Promise<Record<string, BinnedThresholds>> | undefined;

  load(modelsDir: string): Promise<Record<string, BinnedThresholds>> {
    this.loaded ??= readPolicies(join(modelsDir, DECISION_FILE));
    return this.loaded;
  }
}

async function readPolicies(path: string): Promise<Record<string, BinnedThresholds>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw e;
  }
  const json = JSON.parse(text) as { policies?: Record<string, Parameters<typeof thresholdsFromJson>[0]> };
  if (!json.policies || typeof json.policies !== "object")
    throw new Error(`${path}: expected { policies: { "<P*>": thresholds } }`);
  const out: Record<string, BinnedThresholds> = {};
  for (const [p, t] of Object.entries(json.policies)) {
    if (
      !Array.isArray(t?.uncertaintyEdges) ||
      !Array.isArray(t?.scoreThresholds) ||
      t.uncertaintyEdges.length !== t.scoreThresholds.length
    )
      throw new Error(`${path}: policies["${p}"] needs uncertaintyEdges and scoreThresholds of equal length`);
    out[p] = thresholdsFromJson(t);
  }
  return out;
}
