import type { BanditLog } from "../core/bandits/ope.js";
import { csvRows } from "./csv.js";
import { fileError } from "./files.js";

/**
 * Reads a log in the Open Bandit Dataset's format (Saito et al., NeurIPS 2021 Datasets and Benchmarks):
 * columns `item_id`, `position` (1-based), `click`, `propensity_score`, `user_feature_*` (hashed categories,
 * one-hot encoded here) and optionally `user-item_affinity_<item>` (past clicks between the user and each
 * item). Any campaign of that data set (all, men, women) reads the same way. A bad row stops the read with an
 * error naming its line: an off-policy estimate from a silently thinned log would be wrong without saying so.
 */
export async function readOpenBanditLog(file: string): Promise<BanditLog & { timestamps: string[] }> {
  let header: string[] | undefined;
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const actions: number[] = [];
  const positions: number[] = [];
  const rewards: number[] = [];
  const propensities: number[] = [];
  const timestamps: string[] = [];
  const categories: string[][] = [];
  const affinities: number[][] = [];
  let userColumns: number[] = [];
  let affinityColumns: number[] = [];
  let at = { item: -1, position: -1, click: -1, propensity: -1, time: -1 };
  for await (const batch of csvRows(file, ",")) {
    for (const row of batch) {
      const r = row.record;
      if (!header) {
        header = r.map((h) => h.trim());
        at = {
          item: col("item_id"),
          position: col("position"),
          click: col("click"),
          propensity: col("propensity_score"),
          time: col("timestamp"),
        };
        const missing = Object.entries(at)
          .filter(([k, v]) => v < 0 && k !== "time")
          .map(([k]) => (k === "item" ? "item_id" : k === "propensity" ? "propensity_score" : k));
        if (missing.length > 0)
          throw fileError(file, `not an Open Bandit log: missing column(s) ${missing.join(", ")}`);
        userColumns = header.flatMap((h, k) => (h.startsWith("user_feature_") ? [k] : []));
        affinityColumns = header.flatMap((h, k) => (h.startsWith("user-item_affinity_") ? [k] : []));
        continue;
      }
      if (row.error) throw fileError(file, `line ${row.line}: ${row.error}`);
      const bad = (field: string, value: string | undefined) =>
        fileError(file, `line ${row.line}: ${field} ${JSON.stringify(value ?? "")} is not valid`);
      const item = Number(r[at.item]);
      if (!Number.isInteger(item) || item < 0) throw bad("item_id", r[at.item]);
      const position = Number(r[at.position]);
      if (!Number.isInteger(position) || position < 1) throw bad("position", r[at.position]);
      const click = Number(r[at.click]);
      if (click !== 0 && click !== 1) throw bad("click", r[at.click]);
      const propensity = Number(r[at.propensity]);
      if (!(propensity > 0 && propensity <= 1)) throw bad("propensity_score", r[at.propensity]);
      actions.push(item);
      positions.push(position - 1);
      rewards.push(click);
      propensities.push(propensity);
      timestamps.push(at.time >= 0 ? r[at.time] : "");
      categories.push(userColumns.map((k) => r[k] ?? ""));
      affinities.push(
        affinityColumns.map((k) => {
          const v = Number(r[k]);
          if (!Number.isFinite(v) || v < 0) throw bad(header?.[k] ?? "affinity", r[k]);
          return v;
        }),
      );
    }
  }
  if (!header || actions.length === 0) throw fileError(file, "no rows");
  const n = actions.length;
  const nActions = Math.max(...actions, affinityColumns.length - 1) + 1;
  const nPositions = Math.max(...positions) + 1;
  // One column per (user feature, category value) seen in this log.
  const vocab = userColumns.map((_, j) => [...new Set(categories.map((c) => c[j]))].sort());
  const offsets: number[] = [];
  let contextDim = 0;
  for (const v of vocab) {
    offsets.push(contextDim);
    contextDim += v.length;
  }
  const index = vocab.map((v) => new Map(v.map((value, k) => [value, k])));
  const context = new Float64Array(n * contextDim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < vocab.length; j++)
      context[i * contextDim + offsets[j] + (index[j].get(categories[i][j]) as number)] = 1;
  let actionAffinity: Float64Array | undefined;
  if (affinityColumns.length > 0) {
    actionAffinity = new Float64Array(n * nActions);
    for (let i = 0; i < n; i++)
      for (let a = 0; a < affinityColumns.length && a < nActions; a++)
        actionAffinity[i * nActions + a] = affinities[i][a];
  }
  return {
    n,
    nActions,
    nPositions,
    actions: Int32Array.from(actions),
    positions: Int32Array.from(positions),
    rewards: Float64Array.from(rewards),
    propensities: Float64Array.from(propensities),
    contextDim,
    context,
    actionAffinity,
    timestamps,
  };
}
