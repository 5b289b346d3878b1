import { defineConfig } from "vitest/config";

/**
 * The fault suite (npm run test:faults): real `tastebud` processes killed with SIGKILL mid-ingest,
 * mid-training and mid-swap, a store on a full disk, and a hostile corpus. One file at a time: each one
 * starts processes of its own, and the kills aim at moments that a second file's load would only blur.
 */
export default defineConfig({
  test: {
    include: ["test/faults/**/*.faults.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    // The built engine (test/faults/processes.ts loads it, the CLI it starts runs it) is loaded by Node, as a
    // user's process loads it, not transformed again in each file's worker.
    server: { deps: { external: [/\/dist\//] } },
  },
});
