import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import {
  mixItemItem,
  scoreItemItem,
  trainEase,
  trainItemKnn,
  trainItemKnnMany,
  trainLinearAutoencoder,
  typicalUserScale,
} from "./item-item.js";
import type { PositiveRows } from "./positives.js";
import { gaussJordanInverse, invertSymmetricPositiveDefinite } from "./symmetric-inverse.js";

function randomRows(nUsers: number, nItems: number, density: number, seed: number): PositiveRows {
  const rng = new Random(seed);
  const rowPtr = new Int32Array(nUsers + 1);
  const items: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) if (rng.next() < density) items.push(i);
    rowPtr[u + 1] = items.length;
  }
  return { nUsers, nItems, rowPtr, items: Int32Array.from(items) };
}

/** X as a dense 0/1 matrix. */
function dense(rows: PositiveRows): number[][] {
  return Array.from({ length: rows.nUsers }, (_, u) => {
    const row = new Array<number>(rows.nItems).fill(0);
    for (let x = rows.rowPtr[u]; x < rows.rowPtr[u + 1]; x++) row[rows.items[x]] = 1;
    return row;
  });
}

/** EASE by its definition: P = (XᵀX + λI)⁻¹ by Gauss-Jordan, B = −P / diag(P), diag(B) = 0. */
function referenceEase(rows: PositiveRows, lambda: number): number[][] {
  const x = dense(rows);
  const n = rows.nItems;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      for (let u = 0; u < rows.nUsers; u++) g[i * n + j] += x[u][i] * x[u][j];
      if (i === j) g[i * n + j] += lambda;
    }
  const p = gaussJordanInverse(g, n);
  return Array.from({ length: n }, (_, j) =>
    Array.from({ length: n }, (_, i) => (i === j ? 0 : -p[j * n + i] / p[i * n + i])),
  );
}

/**
 * DLAE and EDLAE by their definitions (Steck, NeurIPS 2020), every item in the inverse (the slow path):
 * G = XᵀX, Λ = p/(1 − p)·diag(G) + λI, P = (G + Λ)⁻¹ by Gauss-Jordan; DLAE's B = P·G as a plain matrix
 * product, EDLAE's B = −P / diag(P) with diag(B) = 0. Items nobody liked get zero rows and columns (they
 * have none of X's mass), as trainLinearAutoencoder leaves them out.
 */
function referenceDenoising(rows: PositiveRows, lambda: number, p: number, variant: "dlae" | "edlae") {
  const x = dense(rows);
  const n = rows.nItems;
  const g = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => x.reduce((s, r) => s + r[i] * r[j], 0)),
  );
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) a[i * n + j] = g[i][j] + (i === j ? lambda + (p / (1 - p)) * g[i][i] : 0);
  const inv = gaussJordanInverse(a, n);
  const liked = (i: number) => g[i][i] > 0;
  return Array.from({ length: n }, (_, j) =>
    Array.from({ length: n }, (_, i) => {
      if (i === j || !liked(i) || !liked(j)) return 0;
      if (variant === "edlae") return -inv[j * n + i] / inv[i * n + i];
      let s = 0;
      for (let k = 0; k < n; k++) s += inv[j * n + k] * g[k][i];
      return s;
    }),
  );
}

/** B as a dense matrix from the CSR weights (rows by source item). */
function denseWeights(w: ReturnType<typeof trainEase>): number[][] {
  const out = Array.from({ length: w.nItems }, () => new Array<number>(w.nItems).fill(0));
  for (let j = 0; j < w.nItems; j++)
    for (let y = w.rowPtr[j]; y < w.rowPtr[j + 1]; y++) out[j][w.targets[y]] = w.weights[y];
  return out;
}

describe("invertSymmetricPositiveDefinite (blocked sweep) against Gauss-Jordan", () => {
  it.each([1, 5, 33, 70])("n = %i, across block boundaries", (n) => {
    const rng = new Random(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = i === j ? n + rng.next() : rng.next() - 0.5;
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    const reference = gaussJordanInverse(a, n);
    const fast = invertSymmetricPositiveDefinite(a.slice(), n, undefined, 8);
    for (let x = 0; x < n * n; x++) expect(fast[x]).toBeCloseTo(reference[x], 12);
  });

  it("refuses a matrix that is not positive definite", () => {
    expect(() => invertSymmetricPositiveDefinite(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(
      /positive definite/,
    );
  });
});

describe("trainEase", () => {
  // More items than users takes the Woodbury path, more users than items the direct inverse.
  it.each([
    ["Woodbury (users < items)", 12, 30],
    ["direct (users > items)", 40, 15],
  ])("matches the dense-inverse definition: %s", (_name, nUsers, nItems) => {
    const rows = randomRows(nUsers, nItems, 0.3, nUsers);
    const reference = referenceEase(rows, 5);
    const got = denseWeights(trainEase(rows, 5));
    for (let j = 0; j < nItems; j++)
      for (let i = 0; i < nItems; i++) expect(got[j][i]).toBeCloseTo(reference[j][i], 5);
  });

  it("gives an item nobody liked no weights, and scores a user by summing their items' rows", () => {
    const rows: PositiveRows = {
      nUsers: 3,
      nItems: 4,
      rowPtr: Int32Array.from([0, 2, 4, 5]),
      items: Int32Array.from([0, 1, 0, 1, 2]),
    };
    const ease = trainEase(rows, 1);
    expect(ease.rowPtr[4] - ease.rowPtr[3]).toBe(0);
    const b = denseWeights(ease);
    const scores = scoreItemItem(ease, [0, 2]);
    for (let i = 0; i < 4; i++) expect(scores[i]).toBeCloseTo(b[0][i] + b[2][i], 6);
    // Users who liked 0 also liked 1: item 1 is the top suggestion for a user who liked item 0.
    const only0 = scoreItemItem(ease, [0]);
    expect(only0[1]).toBeGreaterThan(only0[2]);
    expect(only0[1]).toBeGreaterThan(only0[3]);
  });
});

describe("trainLinearAutoencoder (DLAE, EDLAE)", () => {
  it.each([
    ["Woodbury (users < items)", 12, 30, "dlae"],
    ["Woodbury (users < items)", 12, 30, "edlae"],
    ["direct (users > items)", 40, 15, "dlae"],
    ["direct (users > items)", 40, 15, "edlae"],
  ] as const)("matches the dense-inverse definition: %s, %s", (_name, nUsers, nItems, variant) => {
    // Density 0.15 leaves some items unliked, which both paths must leave out.
    const rows = randomRows(nUsers, nItems, 0.15, nUsers + 1);
    const reference = referenceDenoising(rows, 3, 0.3, variant);
    const got = denseWeights(trainLinearAutoencoder(rows, { lambda: 3, dropout: 0.3, variant }));
    for (let j = 0; j < nItems; j++)
      for (let i = 0; i < nItems; i++) expect(got[j][i]).toBeCloseTo(reference[j][i], 5);
  });

  it("is EASE with no dropout (edlae), and dropout changes the weights", () => {
    const rows = randomRows(12, 20, 0.3, 4);
    const ease = denseWeights(trainEase(rows, 5));
    const p0 = denseWeights(trainLinearAutoencoder(rows, { lambda: 5, dropout: 0, variant: "edlae" }));
    const p3 = denseWeights(trainLinearAutoencoder(rows, { lambda: 5, dropout: 0.3, variant: "edlae" }));
    let moved = 0;
    for (let j = 0; j < 20; j++)
      for (let i = 0; i < 20; i++) {
        expect(p0[j][i]).toBeCloseTo(ease[j][i], 6);
        moved = Math.max(moved, Math.abs(p3[j][i] - ease[j][i]));
      }
    expect(moved).toBeGreaterThan(1e-3);
    expect(() => trainLinearAutoencoder(rows, { lambda: 5, dropout: 1, variant: "dlae" })).toThrow(/dropout/);
  });
});

describe("trainItemKnn", () => {
  it("keeps each item's k most cosine-similar items, with the cosine as weight", () => {
    const rows = randomRows(25, 12, 0.35, 3);
    const x = dense(rows);
    const cosine = (i: number, j: number) => {
      let both = 0;
      let ci = 0;
      let cj = 0;
      for (const r of x) {
        both += r[i] * r[j];
        ci += r[i];
        cj += r[j];
      }
      return ci && cj ? both / Math.sqrt(ci * cj) : 0;
    };
    const all = denseWeights(trainItemKnn(rows, Number.POSITIVE_INFINITY));
    for (let j = 0; j < 12; j++)
      for (let i = 0; i < 12; i++) expect(all[j][i]).toBeCloseTo(i === j ? 0 : cosine(j, i), 6);
    const three = denseWeights(trainItemKnn(rows, 3));
    for (let i = 0; i < 12; i++) {
      const kept = three.map((row) => row[i]).filter((v) => v > 0);
      expect(kept.length).toBeLessThanOrEqual(3);
      const best = Array.from({ length: 12 }, (_, j) => (j === i ? 0 : cosine(j, i))).sort((a, b) => b - a);
      expect(Math.min(...kept)).toBeCloseTo(best[kept.length - 1], 6);
    }
  });
});

describe("mixItemItem", () => {
  it("scores every user as the two models' scores added with the given factors", () => {
    const rows = randomRows(30, 25, 0.2, 9);
    const ease = trainEase(rows, 10);
    const knn = trainItemKnn(rows, 5);
    const mixed = mixItemItem(ease, 0.3, knn, 2);
    for (let u = 0; u < rows.nUsers; u++) {
      const liked = rows.items.subarray(rows.rowPtr[u], rows.rowPtr[u + 1]);
      const a = scoreItemItem(ease, liked);
      const b = scoreItemItem(knn, liked);
      const m = scoreItemItem(mixed, liked);
      for (let i = 0; i < rows.nItems; i++) expect(m[i]).toBeCloseTo(0.3 * a[i] + 2 * b[i], 5);
    }
    // Each row's targets ascending and distinct.
    for (let j = 0; j < rows.nItems; j++)
      for (let y = mixed.rowPtr[j] + 1; y < mixed.rowPtr[j + 1]; y++)
        expect(mixed.targets[y]).toBeGreaterThan(mixed.targets[y - 1]);
  });

  it("puts a model on the scale of a typical user's top score", () => {
    const rows = randomRows(20, 15, 0.3, 4);
    const knn = trainItemKnn(rows, 15);
    let sum = 0;
    let users = 0;
    for (let u = 0; u < rows.nUsers; u++) {
      const liked = rows.items.subarray(rows.rowPtr[u], rows.rowPtr[u + 1]);
      if (!liked.length) continue;
      sum += Math.max(...Array.from(scoreItemItem(knn, liked), Math.abs));
      users++;
    }
    expect(typicalUserScale(knn, rows)).toBeCloseTo(sum / users, 5);
  });
});

describe("trainItemKnnMany", () => {
  it("gives each neighbourhood size the model trainItemKnn gives it alone", () => {
    const rows = randomRows(40, 30, 0.2, 11);
    const sizes = [3, 10, Number.POSITIVE_INFINITY];
    const many = trainItemKnnMany(rows, sizes);
    sizes.forEach((k, n) => {
      const alone = trainItemKnn(rows, k);
      expect(Array.from(many[n].rowPtr)).toEqual(Array.from(alone.rowPtr));
      expect(Array.from(many[n].targets)).toEqual(Array.from(alone.targets));
      expect(Array.from(many[n].weights)).toEqual(Array.from(alone.weights));
    });
    expect(many[0].targets.length).toBeLessThan(many[2].targets.length);
  });
});
