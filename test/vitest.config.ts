import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const shared = {
  // test/faults/ (process crashes, multi-process concurrency) runs with `npm run test:faults`
  include: ["test/*.test.ts"],
  setupFiles: ["reflect-metadata"],
  pool: "forks" as const,
  testTimeout: 20_000,
  hookTimeout: 30_000,
};

// The whole suite twice: on SQLite, and on PostgreSQL (a server at TEST_DATABASE_URL or
// 127.0.0.1:5432 when one answers, else PGlite in-process: test/support/postgres.ts). Each test
// file's server gets a database of its own (test/support/test-server.ts).
export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: {
    // graphql 16 has no exports map: Node loads index.js, Vite would load index.mjs, and two
    // copies of graphql cannot share a schema. Make Vite load the same file Node does.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    projects: [
      { extends: true, test: { ...shared, name: "sqlite", env: { GATEHOUSE_TEST_BACKEND: "sqlite" } } },
      { extends: true, test: { ...shared, name: "postgres", env: { GATEHOUSE_TEST_BACKEND: "postgres" } } },
    ],
  },
});
