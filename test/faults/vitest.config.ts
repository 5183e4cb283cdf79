import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const shared = {
  include: ["test/faults/*.test.ts"],
  setupFiles: ["reflect-metadata"],
  pool: "forks" as const,
  fileParallelism: false,
  testTimeout: 180_000,
  hookTimeout: 90_000,
};

// `npm run test:faults`: crash recovery and multi-process concurrency, against real server
// processes, on SQLite and on PostgreSQL (a real server: several processes cannot share PGlite,
// so without one the PostgreSQL project skips). Separate from `npm test`: it spawns servers and
// takes longer.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    // one project after the other: both spawn servers
    sequence: { groupOrder: 0 },
    projects: [
      { extends: true, test: { ...shared, name: "sqlite", env: { GATEHOUSE_TEST_BACKEND: "sqlite" }, sequence: { groupOrder: 0 } } },
      { extends: true, test: { ...shared, name: "postgres", env: { GATEHOUSE_TEST_BACKEND: "postgres" }, sequence: { groupOrder: 1 } } },
    ],
  },
});
