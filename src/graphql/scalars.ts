import { GraphQLScalarType } from "graphql";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";

/** The contract's DateTime: RFC 3339 in, ISO-8601 UTC string (with milliseconds) out. */
export const DateTimeScalar = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  description: "An ISO-8601 date-time; always returned in UTC, e.g. 2026-11-28T09:30:00.000Z.",
  serialize: (value) => (GraphQLDateTime.serialize(value) as Date).toISOString(),
});

export const JSONScalar = GraphQLJSON;
