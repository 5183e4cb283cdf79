import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { FastifyBaseLogger } from "fastify";
import { BadUserInputError } from "../errors.js";
import type { Context } from "../graphql/context.js";
import { quote, redactSecrets } from "../lib/validation.js";
import { AccessRefusal } from "../permissions/refusal.js";

/** The AccessRefusals among a GraphQL request's errors, each once, in the order they came. */
function refusalsAmong(errors: readonly unknown[]): AccessRefusal[] {
  const refusals = new Set<AccessRefusal>();
  for (const error of errors) {
    const original = unwrapResolverError(error);
    if (original instanceof AccessRefusal) refusals.add(original);
  }
  return [...refusals];
}

/**
 * Gatehouse's part of each GraphQL request, in one Apollo plugin (each plugin costs promises
 * on every request):
 * - once Apollo picked the operation to run, refuses an `operationName` that names none of the
 *   document's operations (a client error, 400), and notes the operation's name for the request
 *   log line, redacted like every other echoed input (a secret pasted as the name);
 * - records the AccessRefusals the permission map returned (RefusalRecorder: bounded
 *   `auth-failure-*` audit events).
 */
export function gatehouseRequestPlugin(log: FastifyBaseLogger): ApolloServerPlugin<Context> {
  // one listener for every request (it reads the request from its argument): nothing to allocate
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ contextValue, operation, operationName, request }) {
      if (!operation) {
        throw new BadUserInputError(
          request.operationName
            ? `operationName ${quote(request.operationName)} names no operation in the document`
            : "the document holds several operations: name the one to run in operationName",
          { http: { status: 400 } },
        );
      }
      contextValue.requestState.operationName = operationName ? redactSecrets(operationName) : "(anonymous)";
    },
    async didEncounterErrors({ errors, contextValue }) {
      const refusals = refusalsAmong(errors);
      if (refusals.length === 0) return;
      try {
        await contextValue.services.refusals.record(contextValue.caller, refusals);
      } catch (err) {
        log.error({ err }, "could not record an auth-failure audit event");
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
