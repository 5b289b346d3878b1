import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { ANY_ORDER, checkedRowsSql } from "./bulk-ingest.js";

describe("the bulk path's staging table", () => {
  it("is written in any order (CREATE_TABLE_AS), not buffered into the source's (BATCH_CREATE_TABLE_AS)", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      // A table as the source, as the bulk path's lines are (DuckDB keeps a table scan's order).
      await conn.run(
        "CREATE TEMP TABLE lines AS SELECT range + 1 AS line_no, false AS irregular, range::VARCHAR AS line, 'a' || range AS f FROM range(10000)",
      );
      const select = checkedRowsSql(
        {
          fields: {},
          derived: {},
          values: { user: "f", item: "f", endMs: "line_no", playedMs: "line_no" },
          ok: "line_no % 3 <> 0",
        },
        "SELECT * FROM lines",
        ["line_no", "irregular", "line"],
        ["line_no", "irregular", "line"],
      );
      const plan = async (sql: string) =>
        (await conn.runAndReadAll(`EXPLAIN CREATE TEMP TABLE staged AS ${sql}`))
          .getRows()
          .map((row) => String(row[1]))
          .join("\n");
      // Without the clause DuckDB keeps the source's order (the case the clause is there to avoid).
      const ordered = await plan(select.slice(0, select.lastIndexOf(ANY_ORDER)));
      expect(ordered).toMatch(/BATCH_CREATE_TABLE_AS/);
      const anyOrder = await plan(select);
      expect(anyOrder).toMatch(/CREATE_TABLE_AS/);
      expect(anyOrder).not.toMatch(/BATCH_CREATE_TABLE_AS/);
      // And it keeps every row: the clause is always true.
      await conn.run(`CREATE TEMP TABLE staged AS ${select}`);
      const r = await conn.runAndReadAll(
        "SELECT count(*)::INTEGER, count(md5)::INTEGER, sum(line_no)::DOUBLE FROM staged",
      );
      expect(r.getRows()[0]).toEqual([10000, 6667, 50005000]);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
