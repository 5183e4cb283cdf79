import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { README_PATH, readmeMatrix, renderMatrix } from "./support/permission-matrix-table.js";

it("the README's permission matrix is permissions.json and the extra rows (run `npm run docs:matrix` when this fails)", async () => {
  expect(readmeMatrix(readFileSync(README_PATH, "utf8"))).toBe(await renderMatrix());
});
