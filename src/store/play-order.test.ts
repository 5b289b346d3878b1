import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { type PlayScanColumns, type PlaySortColumns, sortPlayColumns } from "./play-order.js";

/**
 * n plays with few distinct values per key (many ties), times over `timeSpan` ms from `timeFrom`, on whole
 * `step`s; with `spread`, every third time anywhere in the span on a whole step instead (many distinct times).
 */
function randomColumns(
  seed: number,
  n: number,
  timeFrom: number,
  timeSpan: number,
  distinct: number,
  step: number,
  spread = false,
): PlaySortColumns {
  const random = new Random(seed);
  const keys: PlaySortColumns = {
    endTimeMs: new Float64Array(n),
    userIndex: new Int32Array(n),
    itemIndex: new Int32Array(n),
    playedMs: new Float64Array(n),
    itemLengthMs: new Float64Array(n),
    weight: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    keys.endTimeMs[k] = timeFrom + Math.floor((random.int(distinct) * timeSpan) / distinct / step) * step;
    keys.userIndex[k] = random.int(distinct) * 7;
    keys.itemIndex[k] = random.int(distinct) * 13;
    keys.playedMs[k] = random.int(3) * 1000;
    keys.itemLengthMs[k] = random.int(2) * 180_000;
    keys.weight[k] = random.next() < 0.3 ? Number.NaN : random.int(3) - 1;
    if (spread && k % 3 === 0)
      keys.endTimeMs[k] = timeFrom + Math.floor((random.next() * timeSpan) / step) * step;
  }
  return keys;
}

/** A copy to sort (the sort uses up its input). */
function copy(c: PlaySortColumns): PlaySortColumns {
  return {
    endTimeMs: c.endTimeMs.slice(),
    userIndex: c.userIndex.slice(),
    itemIndex: c.itemIndex.slice(),
    playedMs: c.playedMs.slice(),
    itemLengthMs: c.itemLengthMs.slice(),
    weight: c.weight.slice(),
  };
}

/**
 * The columns as the DuckDB scan reads them narrow: times as 32-bit steps of `step` from the earliest (with
 * room for the doubles after them, or without), played ms and item lengths as 32-bit integers.
 */
function narrow(c: PlaySortColumns, step: number, room: boolean): PlayScanColumns {
  const n = c.endTimeMs.length;
  let min = Number.POSITIVE_INFINITY;
  for (const t of c.endTimeMs) min = Math.min(min, t);
  const steps = new Uint32Array(new ArrayBuffer((room ? 8 : 4) * n), 0, n);
  let max = 0;
  for (let k = 0; k < n; k++) {
    steps[k] = (c.endTimeMs[k] - min) / step;
    max = Math.max(max, steps[k]);
    expect(min + steps[k] * step).toBe(c.endTimeMs[k]);
  }
  return {
    userIndex: c.userIndex.slice(),
    itemIndex: c.itemIndex.slice(),
    endTimeMs: { steps, min, step, max },
    playedMs: Int32Array.from(c.playedMs),
    itemLengthMs: Int32Array.from(c.itemLengthMs),
    weight: c.weight.slice(),
  };
}

/** The obvious way: sort the rows themselves with a comparator on every key. */
function slowSortedRows(keys: PlaySortColumns): number[][] {
  const rows = Array.from(keys.endTimeMs, (_, k) => [
    keys.endTimeMs[k],
    keys.userIndex[k],
    keys.itemIndex[k],
    keys.playedMs[k],
    keys.itemLengthMs[k],
    keys.weight[k],
  ]);
  const weightOrder = (a: number, b: number) =>
    Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a - b;
  return rows.sort((a, b) => {
    for (let c = 0; c < 5; c++) if (a[c] !== b[c]) return a[c] - b[c];
    return weightOrder(a[5], b[5]);
  });
}

function rows(c: PlaySortColumns): number[][] {
  return Array.from(c.endTimeMs, (_, k) => [
    c.endTimeMs[k],
    c.userIndex[k],
    c.itemIndex[k],
    c.playedMs[k],
    c.itemLengthMs[k],
    c.weight[k],
  ]);
}

describe("sortPlayColumns", () => {
  it("orders plays as a comparator sort on every key does", async () => {
    const cases = [
      // Times over decades in ms (past 2^32 steps) and in minutes, a few hours, before 1970; ranks that fit
      // one word together and ranks that do not.
      { seed: 1, n: 2_000, from: Date.UTC(1999, 0, 1), span: 25 * 365 * 86_400_000, distinct: 50, step: 1 },
      {
        seed: 12,
        n: 2_000,
        from: Date.UTC(1999, 0, 1),
        span: 25 * 365 * 86_400_000,
        distinct: 50,
        step: 1,
        spread: true,
      },
      {
        seed: 13,
        n: 2_000,
        from: Date.UTC(1960, 0, 1),
        span: 3 * 365 * 86_400_000,
        distinct: 9,
        step: 1_000,
        spread: true,
      },
      {
        seed: 2,
        n: 2_000,
        from: Date.UTC(1999, 0, 1),
        span: 25 * 365 * 86_400_000,
        distinct: 50,
        step: 60_000,
      },
      { seed: 3, n: 3_000, from: Date.UTC(2024, 0, 1), span: 4 * 3_600_000, distinct: 6, step: 1 },
      { seed: 4, n: 1_000, from: Date.UTC(1960, 0, 1), span: 86_400_000, distinct: 3, step: 1 },
      // Keys of one word (a few minutes); every key equal (the other three columns alone decide).
      { seed: 7, n: 2_000, from: Date.UTC(2024, 0, 1), span: 5 * 60_000, distinct: 5, step: 60_000 },
      { seed: 8, n: 300, from: Date.UTC(2024, 0, 1), span: 1, distinct: 1, step: 1 },
      { seed: 5, n: 1, from: 0, span: 1, distinct: 1, step: 1 },
      { seed: 6, n: 0, from: 0, span: 1, distinct: 1, step: 1 },
    ];
    for (const c of cases) {
      const columns = randomColumns(c.seed, c.n, c.from, c.span, c.distinct, c.step, c.spread);
      const expected = slowSortedRows(columns);
      let users = 0;
      let items = 0;
      for (const u of columns.userIndex) users = Math.max(users, u + 1);
      for (const i of columns.itemIndex) items = Math.max(items, i + 1);
      for (const [u, i] of [
        [users, items],
        [users + 70_000, items + 70_000],
      ]) {
        let pauses = 0;
        const sorted = await sortPlayColumns(copy(columns), u, i, async () => {
          pauses++;
        });
        expect(rows(sorted)).toEqual(expected);
        if (c.n > 1) expect(pauses).toBeGreaterThan(0);
      }
    }
  });

  it("orders plays read narrow (times in steps, 32-bit played ms and lengths) as it orders doubles", async () => {
    // Minutes over 25 years, ms over a few hours, seconds from before 1970; every key equal.
    const cases = [
      {
        seed: 2,
        n: 2_000,
        from: Date.UTC(1999, 0, 1),
        span: 25 * 365 * 86_400_000,
        distinct: 50,
        step: 60_000,
      },
      { seed: 3, n: 3_000, from: Date.UTC(2024, 0, 1), span: 4 * 3_600_000, distinct: 6, step: 1 },
      {
        seed: 13,
        n: 2_000,
        from: Date.UTC(1960, 0, 1),
        span: 3 * 365 * 86_400_000,
        distinct: 9,
        step: 1_000,
      },
      { seed: 8, n: 300, from: Date.UTC(2024, 0, 1), span: 1, distinct: 1, step: 1 },
    ];
    for (const c of cases) {
      const columns = randomColumns(c.seed, c.n, c.from, c.span, c.distinct, c.step, true);
      // With item lengths and weights (looked up through the row numbers), and without (played ms, the one
      // column left, moved with the keys).
      const alone = { ...copy(columns), itemLengthMs: new Float64Array(c.n), weight: new Float64Array(c.n) };
      alone.weight.fill(Number.NaN);
      for (const [cols, uniform] of [
        [columns, []],
        [alone, ["itemLengthMs", "weight"]],
        [alone, []],
      ] as const)
        for (const room of [true, false]) {
          const sorted = await sortPlayColumns(
            narrow(cols, c.step, room),
            50 * 7,
            50 * 13,
            undefined,
            uniform,
          );
          expect(rows(sorted)).toEqual(slowSortedRows(cols));
          for (const column of [sorted.endTimeMs, sorted.playedMs, sorted.itemLengthMs, sorted.weight])
            expect(column).toBeInstanceOf(Float64Array);
        }
    }
    // Already in order: handed back widened.
    const ordered = rows(
      await sortPlayColumns(copy(randomColumns(9, 500, Date.UTC(2024, 0, 1), 86_400_000, 20, 1)), 20, 20),
    );
    const back = await sortPlayColumns(
      narrow(
        {
          endTimeMs: Float64Array.from(ordered, (r) => r[0]),
          userIndex: Int32Array.from(ordered, (r) => r[1]),
          itemIndex: Int32Array.from(ordered, (r) => r[2]),
          playedMs: Float64Array.from(ordered, (r) => r[3]),
          itemLengthMs: Float64Array.from(ordered, (r) => r[4]),
          weight: Float64Array.from(ordered, (r) => r[5]),
        },
        1,
        true,
      ),
      20,
      20,
    );
    expect(rows(back)).toEqual(ordered);
    expect(back.endTimeMs).toBeInstanceOf(Float64Array);
    expect(back.playedMs).toBeInstanceOf(Float64Array);
  });

  it("orders plays whose other columns hold one value throughout, or whose times are not whole ms", async () => {
    const columns = randomColumns(10, 3_000, Date.UTC(2020, 0, 1), 86_400_000, 40, 1_000);
    columns.itemLengthMs.fill(0);
    columns.weight.fill(Number.NaN);
    expect(rows(await sortPlayColumns(copy(columns), 40 * 7, 40 * 13))).toEqual(slowSortedRows(columns));
    expect(
      rows(await sortPlayColumns(copy(columns), 40 * 7, 40 * 13, undefined, ["itemLengthMs", "weight"])),
    ).toEqual(slowSortedRows(columns));
    columns.playedMs.fill(30_000);
    expect(rows(await sortPlayColumns(copy(columns), 40 * 7, 40 * 13))).toEqual(slowSortedRows(columns));
    const fractional = randomColumns(11, 1_000, Date.UTC(2020, 0, 1), 86_400_000, 40, 1);
    fractional.endTimeMs[17] += 0.5;
    expect(rows(await sortPlayColumns(fractional, 40 * 7, 40 * 13))).toEqual(slowSortedRows(fractional));
  });

  it("hands back rows already in order as they are", async () => {
    const sorted = await sortPlayColumns(
      randomColumns(9, 500, Date.UTC(2024, 0, 1), 86_400_000, 20, 1),
      20,
      20,
    );
    expect(await sortPlayColumns(sorted, 20, 20)).toBe(sorted);
  });
});
