import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { README_PATH, readmeMatrix, renderMatrix } from "./support/permission-matrix-table.js";

it("the README's permission matrix is permissions.json (run `npm run docs:matrix` when this fails)", () => {
  expect(readmeMatrix(readFileSync(README_PATH, "utf8"))).toBe(renderMatrix());
});
