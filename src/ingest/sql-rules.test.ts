/**
 * The SQL forms of the row rules against the JavaScript ones on random inputs (fixed seed): SQL may decline
 * a value (the JavaScript validator then decides), but whatever it accepts, JavaScript accepts with the same
 * value; and the SQL event key equals eventKey.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { Random } from "../core/random.js";
import { eventTimeMs } from "../schema/events.js";
import { eventKey } from "../store/event-key.js";
import { eventKeySql } from "../store/event-key-sql.js";
import { playedMsSql, timeMsSql, timePartsSql } from "./sql-rules.js";
import { parseTime } from "./time.js";
import { Bad, MAX_PLAYED_MS, toInt } from "./values.js";

async function column(values: string[], expr: (v: string) => string): Promise<(bigint | null)[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    await conn.run("CREATE TABLE t (n INTEGER, v VARCHAR)");
    const a = await conn.createAppender("t");
    values.forEach((v, n) => {
      a.appendInteger(n);
      a.appendVarchar(v);
      a.endRow();
    });
    a.closeSync();
    const r = await conn.runAndReadAll(`SELECT ${expr("v")} FROM t ORDER BY n`);
    return r.getColumns()[0] as (bigint | null)[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function randomTime(rng: Random): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rng.next() * xs.length)];
  const d2 = (max: number) => String(Math.floor(rng.next() * max)).padStart(2, "0");
  const y = pick(["2021", "2020", "1999", "0001", "0000", "9999", "1900", "2100"]);
  let s = `${y}-${d2(14)}-${d2(33)}`;
  if (rng.next() < 0.85) {
    s += pick([" ", "T", "t"]) + `${d2(26)}:${d2(62)}`;
    if (rng.next() < 0.6) s += `:${d2(62)}`;
    if (rng.next() < 0.3)
      s += pick([".", ","]) + String(Math.floor(rng.next() * 1e9)).slice(0, 1 + Math.floor(rng.next() * 10));
    s += pick(["", "", "Z", "z", " Z", "+01:00", "-05:30", "+0130", "-02", "+24:00", "-00:30"]);
  }
  if (rng.next() < 0.15) s = String(Math.floor((rng.next() - 0.2) * 2e12));
  if (rng.next() < 0.05) s = `${s}.5`;
  if (rng.next() < 0.05) s = ` ${s}`;
  return s;
}

describe("SQL rules agree with the JavaScript ones", () => {
  it("times: whatever SQL reads, parseTime reads as the same instant; most common forms are read", async () => {
    const rng = new Random(14);
    // The Spotify CSV's form (read by DuckDB's timestamp cast) at every edge the cast and time.ts may differ on.
    const minuteForm = [
      "2021-03-11 24:00",
      "2021-03-11 23:59",
      "2021-03-11 00:00",
      "2021-03-11 23:60",
      "0000-01-01 00:00",
      "0001-01-01 00:00",
      "9999-12-31 23:59",
      "2021-02-29 10:00",
      "2020-02-29 10:00",
      "1900-02-29 10:00",
      "2000-02-29 10:00",
      "2021-04-31 10:00",
      "2021-13-01 10:00",
      "2021-00-01 10:00",
      "2021-01-00 10:00",
    ];
    const values = [...minuteForm, ...Array.from({ length: 4000 }, () => randomTime(rng))];
    const sql = await column(values, (v) => timeMsSql(v, timePartsSql(v)));
    // Every valid one is read by SQL, but for the year 0000 (left to JavaScript, as the parts reading leaves it).
    minuteForm.forEach((v, k) => {
      if (!v.startsWith("0000")) expect(sql[k] !== null, v).toBe(parseTime(v) !== undefined);
    });
    let read = 0;
    values.forEach((v, k) => {
      if (sql[k] === null) return;
      read++;
      const js = parseTime(v);
      expect(js, v).toBeDefined();
      expect(Number(sql[k]), v).toBe(eventTimeMs(js as string));
    });
    const jsRead = values.filter((v) => parseTime(v) !== undefined).length;
    expect(read).toBeGreaterThan(jsRead * 0.8);
  });

  it("played ms: SQL reads exactly the plain digit strings toInt accepts", async () => {
    const values = [
      "0",
      "007",
      "100",
      "604800000",
      "604800001",
      "-5",
      "1e3",
      "100.0",
      " 5",
      "",
      "x",
      "999999999999999",
    ];
    const sql = await column(values, (v) => playedMsSql(v));
    values.forEach((v, k) => {
      if (sql[k] === null) return;
      const js = toInt(v, "playedMs", false, MAX_PLAYED_MS);
      expect(js instanceof Bad, v).toBe(false);
      expect(Number(sql[k])).toBe(js);
    });
    expect(sql.filter((x) => x !== null).length).toBe(4);
  });

  it("event keys: the SQL md5 equals eventKey for every occurrence", async () => {
    const rng = new Random(22);
    const events = Array.from({ length: 200 }, (_, k) => ({
      user: `u${k % 7}é`,
      item: `Artist ${k % 5}|Track \\| ${k}`,
      endTime: new Date(Date.UTC(2021, 0, 1) + Math.floor(rng.next() * 1e10)).toISOString(),
      playedMs: Math.floor(rng.next() * 300_000),
      occ: k % 3,
    }));
    const instance = await DuckDBInstance.create(":memory:");
    const conn = await instance.connect();
    try {
      const rows = events
        .map((e, n) => `(${n}, '${e.user}', '${e.item}', ${eventTimeMs(e.endTime)}, ${e.playedMs}, ${e.occ})`)
        .join(", ");
      const r = await conn.runAndReadAll(
        `SELECT ${eventKeySql({ user: "u", item: "i", endMs: "t", playedMs: "p" }, "o")} FROM (VALUES ${rows}) v(n, u, i, t, p, o) ORDER BY n`,
      );
      const keys = r.getColumns()[0] as bigint[];
      events.forEach((e, k) => {
        const { occ, ...event } = e;
        expect(keys[k]).toBe(eventKey(event, occ));
      });
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
