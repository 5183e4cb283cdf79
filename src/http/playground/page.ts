// The playground's HTML: no inline script or style, no secret, only links to the assets of
// this build under /playground/. The same for every response but for its nonce.
import type { Assets } from "./assets.js";

/** Replaced by each response's CSP nonce (see registerPlayground). */
export const NONCE_SLOT = "{{csp-nonce}}";

export function renderPage(assets: Assets): string {
  const url = (name: string) => `/playground/${assets.build}/${name}`;
  const styles = [...assets.files.keys()].filter((name) => name.endsWith(".css"));
  const scripts = [...assets.files.keys()].filter((name) => name.endsWith(".js"));
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<link rel="icon" href="data:,">', // no favicon request
    "<title>Gatehouse GraphQL playground</title>",
    ...styles.map((name) => `<link rel="stylesheet" href="${url(name)}">`),
    "</head>",
    "<body>",
    '<div id="graphiql"><noscript>The Gatehouse playground needs JavaScript. Without it, POST JSON to this URL.</noscript></div>',
    // Classic scripts run in document order: React, ReactDOM, GraphiQL, then ours. Scripts
    // need no nonce ('self' allows them); ours carries it only to hand it to GraphiQL.
    ...scripts.map((name) => `<script src="${url(name)}"${name === "playground.js" ? ` nonce="${NONCE_SLOT}"` : ""}></script>`),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
