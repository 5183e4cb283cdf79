import { sql } from "drizzle-orm";
import type { FastifyInstance } from "fastify";
import type { Db } from "../db/client.js";

/** GET /healthz: 200 {"status":"ok"} once migrations ran and the database answers. */
export function registerHealthRoutes(fastify: FastifyInstance, db: Db): void {
  fastify.get("/healthz", async (request, reply) => {
    try {
      db.get(sql`select 1`);
      return { status: "ok" };
    } catch (err) {
      request.log.error({ err }, "health check: the database does not answer");
      return reply.code(503).send({ status: "unavailable" });
    }
  });
}
