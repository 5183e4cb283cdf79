// The playground's static files: GraphiQL's and React 18's prebuilt UMD files, read from
// the installed npm packages (nothing from a CDN, no bundling step), plus our own script and
// CSS. Read once per process, on first use; `build` (a hash of them all) goes in their
// URLs, so they can be cached as immutable.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { clientScript, PAGE_CSS } from "./client.js";

export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** Computed on the first request that accepts gzip. */
  gzipped: Buffer | null;
}

export interface Assets {
  readonly build: string;
  readonly files: ReadonlyMap<string, Asset>;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** A file of an installed package (resolved from its package.json: exports maps hide dist files). */
function packageFile(pkg: string, file: string): Buffer {
  const require = createRequire(import.meta.url);
  const source = readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file), "utf8");
  // Their source maps are not served: drop the comment that makes devtools ask for them.
  return Buffer.from(source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"));
}

let loaded: Assets | null = null;

/** Served as /playground/<build>/<name>; the page loads them in this order. */
export function playgroundAssets(): Assets {
  if (loaded) return loaded;
  const files = new Map<string, Asset>([
    ["graphiql.css", { type: CSS, body: packageFile("graphiql", "graphiql.min.css"), gzipped: null }],
    ["playground.css", { type: CSS, body: Buffer.from(PAGE_CSS), gzipped: null }],
    ["react.js", { type: JS, body: packageFile("react", "umd/react.production.min.js"), gzipped: null }],
    ["react-dom.js", { type: JS, body: packageFile("react-dom", "umd/react-dom.production.min.js"), gzipped: null }],
    ["graphiql.js", { type: JS, body: packageFile("graphiql", "graphiql.min.js"), gzipped: null }],
    ["playground.js", { type: JS, body: Buffer.from(clientScript()), gzipped: null }],
  ]);
  const hash = createHash("sha256");
  for (const [name, asset] of files) hash.update(name).update(asset.body);
  loaded = { build: hash.digest("hex").slice(0, 16), files };
  return loaded;
}

export function gzipped(asset: Asset): Buffer {
  asset.gzipped ??= gzipSync(asset.body);
  return asset.gzipped;
}
