// Error masking: what reaches a client is either one of our AppErrors (closed set of codes,
// CONTRACT.md §7) or a request-level error from graphql-js/Apollo (parse, validation,
// variable coercion), whose messages describe the client's own document. Anything else
// that escaped a resolver (a bug, SQL, a file path) becomes INTERNAL_SERVER_ERROR; the
// original goes to the log only.
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors.js";
import { redactSecrets } from "../lib/validation.js";

export const INTERNAL_ERROR_MESSAGE = "Internal server error";

export function createFormatError(log: FastifyBaseLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) return formatted;
    const code = formatted.extensions?.code;
    const requestLevel = error instanceof GraphQLError && error.path === undefined && original === error;
    if (requestLevel && typeof code === "string" && code !== "INTERNAL_SERVER_ERROR") {
      // graphql-js quotes the client's values (a secret sent in the wrong variable, say)
      const message = redactSecrets(formatted.message);
      return { ...formatted, message: message.length > 1000 ? `${message.slice(0, 1000)}…` : message };
    }
    log.error({ err: original, path: formatted.path }, "unexpected error, masked");
    return {
      message: INTERNAL_ERROR_MESSAGE,
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  };
}
