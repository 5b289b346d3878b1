import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The server checks every response against its schema under test (off in production for speed).
    env: { TASTEBUD_CHECK_RESPONSES: "1" },
  },
});
