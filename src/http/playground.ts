// The GraphQL playground (CONTRACT.md §1): GET /graphql from a browser (Accept: text/html)
// gets GraphiQL, served from the project's own npm packages (works with no internet
// access), with a header editor for the Authorization token and example operations.
//
// - playgroundLandingPage(): the Apollo plugin whose landing page Apollo serves for GET
//   /graphql when the client prefers HTML (it replaces Apollo's CDN-loaded default).
// - registerPlayground(): GET /playground/<build>/<name> for the assets, and strict
//   security headers on the page and on every asset.
import { randomBytes } from "node:crypto";
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import type { FastifyInstance, FastifyReply } from "fastify";
import { gzipped, playgroundAssets } from "./playground/assets.js";
import { NONCE_SLOT, renderPage } from "./playground/page.js";
import { hookRoutes } from "./route-hooks.js";

/**
 * Only this origin's scripts, styles and /graphql. GraphiQL's CSS embeds its fonts and
 * icons as data: URLs, hence `data:` for fonts and images. No 'unsafe-eval', no
 * 'unsafe-inline': the page has no inline script or style, and the one <style> element
 * GraphiQL adds at run time (its dialogs and menus lock page scrolling with one) carries
 * the page's per-response nonce (client.ts hands it over). The assets get the same policy
 * without a nonce. test/playground.test.ts fails on any CSP violation.
 */
export function playgroundCsp(nonce?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The page changes with every response (its nonce) and build (its asset URLs): never cache it. */
const PAGE_CACHE = "no-store";
/** An asset URL names the build's hash, so its content never changes. */
const ASSET_CACHE = "public, max-age=31536000, immutable";

function setSecurityHeaders(reply: FastifyReply, cacheControl: string, nonce?: string): void {
  void reply.headers({
    "content-security-policy": playgroundCsp(nonce),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY", // frame-ancestors 'none' for browsers that predate it
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": cacheControl,
  });
}

/** Apollo serves this page for GET /graphql with Accept: text/html (and only then). */
export function playgroundLandingPage<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  let html: string | null = null;
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          // A function: the assets are read on the first browser visit, not at every start.
          return { html: async () => (html ??= renderPage(playgroundAssets())) };
        },
      };
    },
  };
}

/** Call before the Apollo routes are registered, so that its hook covers them. */
export function registerPlayground(fastify: FastifyInstance): void {
  // The landing page comes out of Apollo's /graphql route: on its way out, it gets a fresh
  // nonce (in its CSP header and in place of NONCE_SLOT) and the security headers.
  hookRoutes(fastify, "onSend", (route) =>
    route.url === "/graphql"
      ? (_request, reply, payload, done) => {
          if (!String(reply.getHeader("content-type") ?? "").startsWith("text/html")) return done(null, payload);
          const nonce = randomBytes(16).toString("base64");
          setSecurityHeaders(reply, PAGE_CACHE, nonce);
          void reply.type("text/html; charset=utf-8");
          done(null, String(payload).replaceAll(NONCE_SLOT, nonce));
        }
      : null,
  );

  fastify.get<{ Params: { build: string; name: string } }>("/playground/:build/:name", async (request, reply) => {
    const assets = playgroundAssets();
    const asset = assets.files.get(request.params.name);
    if (request.params.build !== assets.build || !asset) {
      setSecurityHeaders(reply, PAGE_CACHE);
      return reply.code(404).type("text/plain; charset=utf-8").send("Not found");
    }
    setSecurityHeaders(reply, ASSET_CACHE);
    void reply.type(asset.type).header("vary", "accept-encoding");
    if (/\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""))) {
      return reply.header("content-encoding", "gzip").send(gzipped(asset));
    }
    return reply.send(asset.body);
  });
}
