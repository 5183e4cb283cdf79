import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { readmeConfigTable, renderConfigTable } from "./support/config-table.js";
import { README_PATH } from "./support/readme-section.js";

it("the README's configuration table is src/config-schema.ts's (run `npm run docs:config` when this fails)", () => {
  expect(readmeConfigTable(readFileSync(README_PATH, "utf8"))).toBe(renderConfigTable());
});
