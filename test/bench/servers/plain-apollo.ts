// Baseline (b): what a user would hand-roll: Apollo Server 5 on the same HTTP integration
// (Fastify + @as-integrations/fastify), plain graphql-js, the S1 and S2 data from memory;
// no authentication, no permission map, no database.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import fastifyApollo, { fastifyApolloDrainPlugin } from "@as-integrations/fastify";
import Fastify from "fastify";

const s1 = JSON.parse(readFileSync(process.env.S1_FILE!, "utf8")).data;
const s2 = JSON.parse(readFileSync(process.env.S2_FILE!, "utf8")).data;

const typeDefs = `#graphql
  type Query { viewer: Viewer! organization(name: String!): Organization }
  type Viewer { kind: String! tokenId: ID! organizationToken: Token }
  type Token { name: String! }
  type Organization { stacks(first: Int): StackConnection! }
  type StackConnection { pageInfo: PageInfo! nodes: [Stack!]! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type Stack { id: ID! project: String! name: String! viewerPermission: String! lastUpdatedAt: String tags: [Tag!]! }
  type Tag { name: String! value: String! }
`;
const resolvers = {
  Query: {
    viewer: () => s1.viewer,
    organization: () => s2.organization,
  },
};

const fastify = Fastify({ logger: false });
const apollo = new ApolloServer({ typeDefs, resolvers, plugins: [fastifyApolloDrainPlugin(fastify)] });
await apollo.start();
await fastify.register(fastifyApollo(apollo), { path: "/graphql", method: ["GET", "POST", "OPTIONS"] });
await fastify.listen({ host: "127.0.0.1", port: 0 });
const address = fastify.server.address();
console.log(`listening ${typeof address === "object" && address ? address.port : 0}`);
