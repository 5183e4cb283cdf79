// Renders src/config-schema.ts's SETTINGS as the README's configuration table;
// test/readme-config.test.ts fails when the README's copy is stale, and `npm run docs:config`
// rewrites it.
import { fileURLToPath } from "node:url";
import { SETTINGS } from "../../src/config-schema.js";
import { type Markers, readmeSection, rewriteReadmeSection } from "./readme-section.js";

const MARKERS: Markers = { start: "<!-- config:start (npm run docs:config) -->", end: "<!-- config:end -->" };

/** A table cell: a | inside would end the cell. */
const cell = (text: string) => text.replaceAll("|", "\\|");

export function renderConfigTable(): string {
  const rows = Object.entries(SETTINGS).map(
    ([name, s]) => `| \`${name}\` | ${cell(s.type)} | ${cell(s.default)} | ${cell(s.description)} |`,
  );
  const lines = ["| variable | type | default | meaning |", "| --- | --- | --- | --- |", ...rows];
  return `${MARKERS.start}\n${lines.join("\n")}\n${MARKERS.end}`;
}

export const readmeConfigTable = (readme: string): string | null => readmeSection(readme, MARKERS);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  rewriteReadmeSection(MARKERS, renderConfigTable());
  console.log("README.md: configuration table rewritten");
}
