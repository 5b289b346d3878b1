import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The dashboard: built from src/web into dist/web, which `tastebud serve` serves at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL("./src/web", import.meta.url)),
  base: "./",
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist/web", import.meta.url)),
    emptyOutDir: true,
    // Plot (with the d3 parts it uses) is most of the bundle; one file loads faster on loopback than many.
    chunkSizeWarningLimit: 1000,
  },
});
