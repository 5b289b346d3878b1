import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { serveCommand } from "../cli/commands/serve.js";
import { UsageError } from "../cli/errors.js";

function program() {
  const p = new Command().exitOverride();
  serveCommand(p);
  for (const cmd of p.commands) cmd.exitOverride();
  return p;
}

describe("tastebud serve", () => {
  it("refuses a public address without a key, as a usage error", async () => {
    const saved = process.env.TASTEBUD_API_KEY;
    delete process.env.TASTEBUD_API_KEY;
    try {
      await expect(
        program().parseAsync(["serve", "--store", ":memory:", "--host", "0.0.0.0"], { from: "user" }),
      ).rejects.toThrow(UsageError);
    } finally {
      if (saved !== undefined) process.env.TASTEBUD_API_KEY = saved;
    }
  });

  it("checks its numbers", async () => {
    await expect(program().parseAsync(["serve", "--port", "99999"], { from: "user" })).rejects.toThrow(
      /--port/,
    );
    await expect(program().parseAsync(["serve", "--max-batch", "0"], { from: "user" })).rejects.toThrow(
      /--max-batch/,
    );
    await expect(program().parseAsync(["serve", "--log-level", "loud"], { from: "user" })).rejects.toThrow(
      /--log-level/,
    );
  });
});
