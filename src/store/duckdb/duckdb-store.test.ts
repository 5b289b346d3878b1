import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StoreError } from "../event-store.js";
import { testEventStore } from "../event-store-conformance.js";
import { DuckDbEventStore } from "./duckdb-store.js";

testEventStore("duckdb in memory", () => DuckDbEventStore.open(":memory:"));
testEventStore("duckdb file", () =>
  DuckDbEventStore.open(join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb")),
);

describe("DuckDbEventStore", () => {
  it("migrates a new file to the latest schema and reopens it", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const first = await DuckDbEventStore.open(path);
    const v = await first.schemaVersion();
    await first.close();
    const again = await DuckDbEventStore.open(path);
    expect(await again.schemaVersion()).toBe(v);
    await again.close();
  });

  it("tells a second process that the store is held, naming the holder", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "tb-")), "s.duckdb");
    const holder = await DuckDbEventStore.open(path);
    try {
      // DuckDB's lock is per process, so the second opener must be another process.
      const script = `
        import { DuckDbEventStore } from ${JSON.stringify(new URL("./duckdb-store.ts", import.meta.url).pathname)};
        try { await DuckDbEventStore.open(${JSON.stringify(path)}); console.log("opened"); }
        catch (e) { console.log(e.name + ": " + e.message); }`;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
          stdio: ["ignore", "pipe", "pipe"],
        });
        let text = "";
        child.stdout.on("data", (d) => (text += d));
        child.stderr.on("data", (d) => (text += d));
        child.on("close", () => resolve(text));
      });
      expect(out).toContain("StoreError");
      expect(out).toContain(`PID ${process.pid}`);
    } finally {
      await holder.close();
    }
    expect(new StoreError("locked", "x").code).toBe("locked");
  });
});
