// Renders ../shared/contract/permissions.json (or its committed copy), then the operations
// added beyond it (test/support/extra-operations.ts), as the README's permission table;
// test/readme-matrix.test.ts fails when the README's copy is stale, and `npm run docs:matrix`
// rewrites it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { contractFile } from "./contract.js";
import { readmeSection, rewriteReadmeSection } from "./readme-section.js";

/** A row of permissions.json. */
export interface PermissionRow {
  seed?: string;
  operation: string;
  admin: boolean;
  member: boolean;
  orgToken: boolean;
  outsider: boolean;
  siteAdmin?: boolean;
}

export { README_PATH } from "./readme-section.js";
const START = "<!-- matrix:start (npm run docs:matrix) -->";
const END = "<!-- matrix:end -->";

export async function renderMatrix(): Promise<string> {
  const { operations } = JSON.parse(readFileSync(contractFile("permissions.json"), "utf8")) as { operations: PermissionRow[] };
  // imported late: the extra rows' module pulls in the factories, which this script needs not
  const { EXTRA_ROWS } = await import("./extra-operations.js");
  const mark = (allowed: boolean | undefined) => (allowed === undefined ? "" : allowed ? "✅" : "—");
  const row = (r: PermissionRow, seed: string) =>
    `| \`${r.operation}\` | ${seed} | ${mark(r.admin)} | ${mark(r.member)} | ${mark(r.orgToken)} | ${mark(r.outsider)} | ${mark(r.siteAdmin)} |`;
  const lines = [
    "| operation | seed name | admin | member | org token | outsider | site admin |",
    "| --- | --- | :-: | :-: | :-: | :-: | :-: |",
    ...operations.map((r) => row(r, r.seed ?? "")),
    ...EXTRA_ROWS.map((r) => row(r, "(beyond the contract)")),
  ];
  return `${START}\n${lines.join("\n")}\n${END}`;
}

export const readmeMatrix = (readme: string): string | null => readmeSection(readme, { start: START, end: END });

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rewriteReadmeSection({ start: START, end: END }, await renderMatrix());
  console.log("README.md: permission matrix rewritten");
}
