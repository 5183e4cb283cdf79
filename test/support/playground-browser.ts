// Headless Chromium for the playground tests: Debian's /usr/bin/chromium through playwright-core,
// a throwaway profile, and a page whose network is one origin and nothing else.
import { existsSync } from "node:fs";
import { type BrowserContext, chromium, type Page, type Request } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const MISSING_CHROMIUM = `${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it)`;

// The page's document, inside page.evaluate() callbacks (the project type-checks without the DOM lib).
declare const document: {
  addEventListener(type: "securitypolicyviolation", listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
};

/** Headless Chromium with its profile in `profileDir`, no background traffic. */
export function launchChromium(profileDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export interface WatchedPage {
  /** Requests to any other origin, aborted. */
  blocked: string[];
  /** CSP violations, script errors, failed requests, HTTP 4xx/5xx responses. */
  failures: string[];
  /** Every POST to `${origin}/graphql`. */
  graphqlPosts: Request[];
}

/** Lets `page` reach `origin` only, and records what went wrong. Call before page.goto(). */
export async function watchPage(page: Page, origin: string): Promise<WatchedPage> {
  const watched: WatchedPage = { blocked: [], failures: [], graphqlPosts: [] };
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    watched.blocked.push(url);
    return route.abort("blockedbyclient");
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const { failures } = watched;
  page.on("console", (m) => void (m.type() === "error" && failures.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => void failures.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => void failures.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => void (r.status() >= 400 && failures.push(`HTTP ${r.status()}: ${r.url()}`)));
  page.on("request", (r) => void (r.method() === "POST" && r.url() === `${origin}/graphql` && watched.graphqlPosts.push(r)));
  return watched;
}
