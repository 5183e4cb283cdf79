// Baseline (c): the same server build (dist/, plain JS) with the permission map left out.
import "reflect-metadata";
import { loadConfig } from "../../../dist/config.js";
import { buildSchemaWithoutPermissionsForBenchmark } from "../../../dist/graphql/schema.js";
import { buildApp } from "../../../dist/server.js";

const app = await buildApp({ config: loadConfig(), schema: buildSchemaWithoutPermissionsForBenchmark() });
await app.fastify.listen({ host: "127.0.0.1", port: 0 });
const address = app.fastify.server.address();
console.log(`listening ${typeof address === "object" && address ? address.port : 0}`);
