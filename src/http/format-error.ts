// Error masking: what reaches a client is either one of our AppErrors (closed set of codes,
// CONTRACT.md §7) or a request-level error from graphql-js/Apollo (parse, validation,
// variable coercion), whose messages describe the client's own document. Anything else
// that escaped a resolver (a bug, SQL, a file path) becomes INTERNAL_SERVER_ERROR; the
// original goes to the log only.
import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";
import type { FastifyBaseLogger } from "fastify";
import { TransactionConflictError } from "../db/store.js";
import { AppError, ConflictError } from "../errors.js";
import { redactSecrets } from "../lib/validation.js";

export const INTERNAL_ERROR_MESSAGE = "Internal server error";

export function createFormatError(log: FastifyBaseLogger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) return formatted;
    if (original instanceof TransactionConflictError) {
      // PostgreSQL: the change lost its race with concurrent ones every time it was tried; nothing was written
      log.warn({ err: original, path: formatted.path }, "transaction conflicted on every attempt");
      const conflict = new ConflictError("the change conflicted with concurrent changes and was not made: send it again");
      return { ...formatted, message: conflict.message, extensions: { ...conflict.extensions } };
    }
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
