import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { README_PATH, readmeConfigTable, renderConfigTable } from "./support/config-table.js";

it("the README's configuration table is src/config-schema.ts's (run `npm run docs:config` when this fails)", () => {
  expect(readmeConfigTable(readFileSync(README_PATH, "utf8"))).toBe(renderConfigTable());
});
