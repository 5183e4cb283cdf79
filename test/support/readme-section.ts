// A section of the README that a script renders (the permission matrix: `npm run docs:matrix`,
// the configuration table: `npm run docs:config`), between two marker comments; a test
// compares the README's copy with a fresh rendering.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const README_PATH = fileURLToPath(new URL("../../README.md", import.meta.url));

export interface Markers {
  readonly start: string;
  readonly end: string;
}

/** The section as `readme` holds it, markers included; null when a marker is missing. */
export function readmeSection(readme: string, { start, end }: Markers): string | null {
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  return from === -1 || to === -1 ? null : readme.slice(from, to + end.length);
}

/** Replaces the README's section with `rendered` (which carries the markers). */
export function rewriteReadmeSection(markers: Markers, rendered: string): void {
  const readme = readFileSync(README_PATH, "utf8");
  const current = readmeSection(readme, markers);
  if (!current) throw new Error(`README.md has no ${markers.start} … ${markers.end} section`);
  writeFileSync(
    README_PATH,
    readme.replace(current, () => rendered),
  );
}
