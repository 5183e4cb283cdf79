// The playground's own browser script, served as /playground/<build>/playground.js (the
// CSP allows no inline script). It mounts GraphiQL (the UMD globals React, ReactDOM and
// GraphiQL come from the scripts loaded before it) with the example operations.
import { DEFAULT_HEADERS, EXAMPLE_OPERATIONS, EXAMPLE_VARIABLES } from "./examples.js";

/** Browser JavaScript, ES2020, no imports. */
const CLIENT = String.raw`
(function (config) {
  "use strict";
  // GraphiQL's dialogs and menus add a <style> element (scroll lock) through
  // react-style-singleton, which gives it the nonce found in __webpack_nonce__.
  window.__webpack_nonce__ = document.currentScript.nonce;

  // The page is served by GET on the GraphQL endpoint itself: post to the same path.
  var endpoint = window.location.pathname;

  // POST JSON to the same origin (passes Apollo's CSRF prevention; no cookies are sent).
  // The Authorization header is left out while it is still the placeholder, and always
  // for GraphiQL's introspection: the schema is public, and a mistyped token must not
  // hide the docs.
  async function fetcher(params, options) {
    var headers = { "content-type": "application/json", accept: "application/json" };
    var given = (options && options.headers) || {};
    Object.keys(given).forEach(function (name) {
      var value = String(given[name]);
      if (name.toLowerCase() === "authorization") {
        if (/<.*>/.test(value) || params.operationName === "IntrospectionQuery") return;
      }
      headers[name] = value;
    });
    var response = await fetch(endpoint, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
      credentials: "omit",
    });
    var text = await response.text();
    try {
      return JSON.parse(text);
    } catch (error) {
      return { errors: [{ message: "HTTP " + response.status + ": " + text.slice(0, 500) }] };
    }
  }

  // GraphiQL's storage (tabs, history) is localStorage, except that its history keeps each
  // run's headers even with shouldPersistHeaders off: drop them, tokens never reach the disk.
  function withoutHeaders(value) {
    try {
      var stored = JSON.parse(value);
      Object.keys(stored || {}).forEach(function (key) {
        if (Array.isArray(stored[key])) stored[key].forEach(function (entry) { if (entry) delete entry.headers; });
      });
      return JSON.stringify(stored);
    } catch (error) {
      return value;
    }
  }
  var ours = function (key) { return key.indexOf("graphiql:") === 0; };
  var storage = {
    getItem: function (key) { return localStorage.getItem(key); },
    setItem: function (key, value) { localStorage.setItem(key, withoutHeaders(value)); },
    removeItem: function (key) { localStorage.removeItem(key); },
    get length() { return Object.keys(localStorage).filter(ours).length; },
    clear: function () { Object.keys(localStorage).filter(ours).forEach(storage.removeItem); },
  };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      defaultTabs: [{ query: config.query, variables: config.variables, headers: config.headers }],
      defaultHeaders: config.headers,
      variables: config.variables,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // Tokens stay in the page's memory: never written to localStorage (see storage).
      shouldPersistHeaders: false,
      showPersistHeadersSettings: false,
    })
  );

  // Open the schema docs as a user would (GraphiQL 4 applies its visiblePlugin prop after
  // the first render, too late to open the pane).
  var tries = 0;
  (function openDocs() {
    var button = document.querySelector('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]');
    if (button) button.click();
    else if (++tries < 100) setTimeout(openDocs, 50);
  })();
})`;

/** The script, with the example operations as its argument (JSON is valid JavaScript). */
export function clientScript(): string {
  const config = { query: EXAMPLE_OPERATIONS, variables: EXAMPLE_VARIABLES, headers: DEFAULT_HEADERS };
  return `${CLIENT.trim()}(${JSON.stringify(config)});\n`;
}

/** GraphiQL needs a container with a height. */
export const PAGE_CSS = "html, body { height: 100%; margin: 0; }\n#graphiql { height: 100vh; }\n";
