import { describe, expect, it } from "vitest";
import { Random } from "../random.js";
import { principalPlane } from "./principal-plane.js";

/** Slow reference: the full eigendecomposition of the covariance by cyclic Jacobi rotations. */
function jacobiEigen(matrix: number[][]): { values: number[]; vectors: number[][] } {
  const n = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v: number[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  const order = a.map((_, i) => i).sort((i, j) => a[j][j] - a[i][i]);
  return { values: order.map((i) => a[i][i]), vectors: order.map((i) => v.map((row) => row[i])) };
}

function naiveCovariance(rows: number[][]): number[][] {
  const n = rows.length;
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, f) => rows.reduce((s, r) => s + r[f], 0) / n);
  return Array.from({ length: d }, (_, a) =>
    Array.from(
      { length: d },
      (_, b) => rows.reduce((s, r) => s + (r[a] - mean[a]) * (r[b] - mean[b]), 0) / (n - 1),
    ),
  );
}

/** Rows with a different spread along each dimension, turned by a random orthogonal-ish mix. */
function spreadRows(random: Random, n: number, d: number): number[][] {
  const scales = Array.from({ length: d }, (_, f) => 3 / (f + 1));
  const mix = Array.from({ length: d }, () => Array.from({ length: d }, () => random.normal()));
  return Array.from({ length: n }, () => {
    const z = scales.map((s) => s * random.normal() + 0.7);
    return mix.map((row) => row.reduce((s, m, f) => s + m * z[f], 0));
  });
}

describe("principalPlane", () => {
  for (const [seed, n, d] of [
    [1, 200, 8],
    [2, 50, 3],
    [3, 500, 24],
  ] as const) {
    it(`matches a full Jacobi eigendecomposition (seed ${seed}, ${n} x ${d})`, () => {
      const rows = spreadRows(new Random(seed), n, d);
      const plane = principalPlane(Float32Array.from(rows.flat()), d);
      const reference = jacobiEigen(naiveCovariance(rows));
      expect(plane.variance[0]).toBeCloseTo(reference.values[0], 2);
      expect(plane.variance[1]).toBeCloseTo(reference.values[1], 2);
      expect(plane.totalVariance).toBeCloseTo(
        reference.values.reduce((a, b) => a + b, 0),
        2,
      );
      for (const k of [0, 1]) {
        const dot = plane.axes[k].reduce((s, x, f) => s + x * reference.vectors[k][f], 0);
        expect(Math.abs(dot)).toBeGreaterThan(0.999);
      }
      // Coordinates are the centred rows' projections: their variance is the axis's eigenvalue.
      const xs = Array.from({ length: n }, (_, r) => plane.coordinates[2 * r]);
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
      expect(variance).toBeCloseTo(plane.variance[0], 2);
    });
  }

  it("recovers a plane planted in a higher space, up to sign", () => {
    const random = new Random(7);
    const rows: number[] = [];
    for (let r = 0; r < 300; r++) {
      const x = 5 * random.normal();
      const y = 2 * random.normal();
      rows.push(x, 0.001 * random.normal(), y, 0.001 * random.normal());
    }
    const plane = principalPlane(Float64Array.from(rows), 4);
    // Sample noise turns the axes a little off x and y (the samples' x-y correlation is not exactly 0).
    expect(Math.abs(plane.axes[0][0])).toBeGreaterThan(0.99);
    expect(Math.abs(plane.axes[1][2])).toBeGreaterThan(0.99);
    expect((plane.variance[0] + plane.variance[1]) / plane.totalVariance).toBeGreaterThan(0.9999);
  });

  it("answers an empty table with no coordinates", () => {
    const plane = principalPlane(new Float32Array(0), 4);
    expect(plane.coordinates.length).toBe(0);
    expect(plane.totalVariance).toBe(0);
  });
});
