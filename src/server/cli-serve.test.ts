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

  it("never prints the API key or the read key in --help", async () => {
    const saved = { api: process.env.TASTEBUD_API_KEY, read: process.env.TASTEBUD_READ_KEY };
    process.env.TASTEBUD_API_KEY = "sekrit-write-key";
    process.env.TASTEBUD_READ_KEY = "sekrit-read-key";
    let help = "";
    try {
      const p = program();
      for (const cmd of [p, ...p.commands]) cmd.configureOutput({ writeOut: (s) => (help += s) });
      await expect(p.parseAsync(["serve", "--help"], { from: "user" })).rejects.toThrow();
    } finally {
      for (const [name, value] of [
        ["TASTEBUD_API_KEY", saved.api],
        ["TASTEBUD_READ_KEY", saved.read],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(help).toContain("--api-key");
    expect(help).not.toContain("sekrit");
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
