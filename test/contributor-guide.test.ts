// src/README.md, the contributor guide, points at files and at sections of other READMEs:
// every link must reach an existing file (and heading), and every `src/…` or `test/…` path it
// names must exist, so the guide fails a test instead of going stale when code or notes move.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const GUIDE = join(ROOT, "src/README.md");

/** The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped, spaces as -, repeats numbered). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Where each relative link of `file` fails to lead: a missing file or a missing heading. */
function brokenLinks(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    const [path, anchor] = target!.split("#");
    const into = path ? resolve(dirname(file), path) : file;
    if (!existsSync(into)) broken.push(`${target}: no such file`);
    else if (anchor && into.endsWith(".md") && !anchorsOf(readFileSync(into, "utf8")).has(anchor))
      broken.push(`${target}: no such heading`);
  }
  return broken;
}

describe("the contributor guide (src/README.md)", () => {
  it("computes GitHub's heading anchors (known headings)", () => {
    const anchors = anchorsOf(
      "# Gatehouse\n## Durability and group commit (SQLite)\n### Configuration\n## Configuration\n## `npm test`, then\n",
    );
    expect([...anchors]).toEqual(["gatehouse", "durability-and-group-commit-sqlite", "configuration", "configuration-1", "npm-test-then"]);
  });

  it("links only to files and headings that exist", () => {
    expect(brokenLinks(GUIDE)).toEqual([]);
  });

  it("names only src/ and test/ paths that exist", () => {
    const named = [...readFileSync(GUIDE, "utf8").matchAll(/`((?:src|test)\/[\w./-]+)`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });
});
