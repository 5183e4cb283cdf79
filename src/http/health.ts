import type { FastifyInstance } from "fastify";
import type { Store } from "../db/store.js";

/** GET /healthz: 200 {"status":"ok"} once migrations ran and the database answers. */
export function registerHealthRoutes(fastify: FastifyInstance, store: Store): void {
  fastify.get("/healthz", async (request, reply) => {
    try {
      await store.ping();
      return { status: "ok" };
    } catch (err) {
      request.log.error({ err }, "health check: the database does not answer");
      return reply.code(503).send({ status: "unavailable" });
    }
  });
}
