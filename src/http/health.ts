// GET /healthz (is the process alive and its database reachable) and GET /readyz (should a load
// balancer send it requests): the same, and not draining. On SIGTERM the server drains first
// (src/index.ts, App.drain): /readyz answers 503 for DRAIN_TIME while requests are still
// served, so the load balancer's checks take it out of rotation before it stops accepting.
import type { FastifyInstance } from "fastify";
import type { Store } from "../db/store.js";

/** Whether this server wants requests; set once, when it starts draining. */
export class Readiness {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  /** From now on /readyz answers 503 (and responses close their connection). */
  drain(): void {
    this.#draining = true;
  }
}

/**
 * GET /healthz: 200 {"status":"ok"} once migrations ran and the database answers (also while
 * draining: the process is alive). GET /readyz: 200 {"status":"ready"} when, in addition, the
 * server is not draining; 503 {"status":"draining"} or {"status":"unavailable"} otherwise.
 */
export function registerHealthRoutes(fastify: FastifyInstance, store: Store, readiness: Readiness): void {
  fastify.get("/healthz", async (request, reply) => {
    try {
      await store.ping();
      return { status: "ok" };
    } catch (err) {
      request.log.error({ err }, "health check: the database does not answer");
      return reply.code(503).send({ status: "unavailable" });
    }
  });
  fastify.get("/readyz", async (request, reply) => {
    if (readiness.draining) return reply.code(503).send({ status: "draining" });
    try {
      await store.ping();
      return { status: "ready" };
    } catch (err) {
      request.log.error({ err }, "readiness check: the database does not answer");
      return reply.code(503).send({ status: "unavailable" });
    }
  });
}
