import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  resolve: {
    // graphql 16 has no exports map: Node loads index.js, Vite would load index.mjs, and two
    // copies of graphql cannot share a schema. Make Vite load the same file Node does.
    alias: [{ find: /^graphql$/, replacement: "graphql/index.js" }],
  },
  test: {
    // test/faults/ (process crashes, multi-process concurrency) runs with `npm run test:faults`
    include: ["test/*.test.ts"],
    setupFiles: ["reflect-metadata"],
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
