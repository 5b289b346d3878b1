import { defineConfig } from "vitest/config";

/** The dashboard's browser tests (npm run test:e2e): real chromium against a real `tastebud serve`. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
