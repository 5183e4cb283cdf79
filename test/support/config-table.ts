// Renders src/config-schema.ts's SETTINGS as the README's configuration table;
// test/readme-config.test.ts fails when the README's copy is stale, and `npm run docs:config`
// rewrites it.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SETTINGS } from "../../src/config-schema.js";

export const README_PATH = fileURLToPath(new URL("../../README.md", import.meta.url));
const START = "<!-- config:start (npm run docs:config) -->";
const END = "<!-- config:end -->";

/** A table cell: a | inside would end the cell. */
const cell = (text: string) => text.replaceAll("|", "\\|");

export function renderConfigTable(): string {
  const lines = [
    "| variable | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...Object.entries(SETTINGS).map(([name, s]) => `| \`${name}\` | ${cell(s.type)} | ${cell(s.default)} | ${cell(s.description)} |`),
  ];
  return `${START}\n${lines.join("\n")}\n${END}`;
}

/** The table as the README holds it, markers included; null when the markers are missing. */
export function readmeConfigTable(readme: string): string | null {
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  return from === -1 || to === -1 ? null : readme.slice(from, to + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(README_PATH, "utf8");
  const current = readmeConfigTable(readme);
  if (!current) throw new Error(`README.md has no ${START} … ${END} section`);
  writeFileSync(
    README_PATH,
    readme.replace(current, () => renderConfigTable()),
  );
  console.log("README.md: configuration table rewritten");
}
