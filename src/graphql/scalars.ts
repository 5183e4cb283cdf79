import { GraphQLError, GraphQLScalarType, Kind, print } from "graphql";
import { GraphQLDateTime, GraphQLJSON } from "graphql-scalars";
import { DATE_TIME_FORMS, parseDateTime } from "../lib/date-time.js";
import { quote } from "../lib/validation.js";

function parseInput(value: unknown): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  const date = typeof value === "string" ? parseDateTime(value) : null;
  if (!date) {
    const shown = typeof value === "string" ? quote(value) : (JSON.stringify(value) ?? String(value));
    throw new GraphQLError(`DateTime must be ${DATE_TIME_FORMS}; got ${shown}`);
  }
  return date;
}

/**
 * The contract's DateTime: in, an ISO 8601 date-time with a time zone or a date (the forms of
 * src/lib/date-time.ts); out, an ISO-8601 UTC string with milliseconds.
 */
export const DateTimeScalar = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  description:
    "An ISO-8601 date-time; always returned in UTC, e.g. 2026-11-28T09:30:00.000Z. Accepted: a date-time with a time zone " +
    "(2026-11-28T09:30:00Z, 2026-11-28T10:30:00+01:00; seconds and fractions optional) or a date (2026-11-28: midnight UTC).",
  serialize: (value) => GraphQLDateTime.serialize(value).toISOString(),
  parseValue: parseInput,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError(`DateTime must be ${DATE_TIME_FORMS}, as a string; got ${print(ast)}`);
    return parseInput(ast.value);
  },
});

export const JSONScalar = GraphQLJSON;
