import { defineConfig } from "vitest/config";

/** The dashboard's browser tests (npm run test:e2e): real chromium against a real `tastebud serve`. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    // The set-up runs the demo and seven evaluation commands (each prints its time); on the shared 2-core
    // machine at load average 13 it took 295 s.
    hookTimeout: 420_000,
    pool: "forks",
    fileParallelism: false,
  },
});
