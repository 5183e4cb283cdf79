// Hooks attached to the routes that need them when those routes are declared (Fastify's
// onRoute), instead of global hooks that look at every request's route to decide: reading
// request.routeOptions builds a new object on each call, several times per request.
import type { FastifyInstance, RouteOptions } from "fastify";

/** What a route declares in `config` for the hooks below. */
export interface GatehouseRouteConfig {
  /** Resolve the caller from the Authorization header before the handler (GraphQL always does). */
  readonly authenticate?: boolean;
  /** A longer time limit than REQUEST_TIMEOUT (the streaming export). */
  readonly timeoutMs?: number;
}

declare module "fastify" {
  // what routes may declare in `config` (beside @fastify/rate-limit's `rateLimit`)
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging: Fastify's route config gains our fields
  interface FastifyContextConfig extends GatehouseRouteConfig {}
}

export const routeConfig = (route: RouteOptions): GatehouseRouteConfig => route.config ?? {};

/** The GraphQL endpoint and the routes that ask for it. */
export const isAuthenticatedRoute = (route: RouteOptions) => route.url === "/graphql" || routeConfig(route).authenticate === true;

type HookName = "onRequest" | "preHandler" | "onSend" | "onResponse";

/**
 * Calls `attach` for every route declared after this call (in this instance and the plugins
 * registered in it); what it returns is appended to the route's own hooks of that name.
 */
export function hookRoutes<Name extends HookName>(
  fastify: FastifyInstance,
  name: Name,
  attach: (route: RouteOptions) => RouteHook<Name> | null,
): void {
  fastify.addHook("onRoute", (route) => {
    const hook = attach(route);
    if (hook === null) return;
    const existing = route[name] as RouteHook<Name> | RouteHook<Name>[] | undefined;
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
    (route as Record<HookName, unknown>)[name] = [...list, hook];
  });
}

type RouteHook<Name extends HookName> = Extract<NonNullable<RouteOptions[Name]>, (...args: never[]) => unknown>;
