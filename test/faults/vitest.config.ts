import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run test:faults`: crash recovery and multi-process concurrency, against real server
// processes. Separate from `npm test` because it spawns servers and takes longer.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/faults/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 90_000,
  },
});
