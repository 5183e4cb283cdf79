import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// `npm run test:replicas` (after `npm run build`: the servers are `node dist/index.js`): three
// servers on one PostgreSQL behind HAProxy. Needs a PostgreSQL server and haproxy; skips otherwise.
export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  resolve: { alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }] },
  test: {
    include: ["test/replicas/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    env: { GATEHOUSE_TEST_BACKEND: "postgres" },
  },
});
