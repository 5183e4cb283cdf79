import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { FastifyBaseLogger } from "fastify";
import type { Caller } from "../auth/principal.js";
import type { Context } from "../graphql/context.js";
import type { AuditWriter } from "../modules/audit/audit.writer.js";
import { AccessRefusal } from "./refusal.js";

/** Writes the `auth-failure-*` event of a refusal, in a transaction of its own. */
export function recordRefusal(audit: AuditWriter, caller: Caller, refusal: AccessRefusal): void {
  audit.write(caller, refusal.audit);
}

/**
 * Records every AccessRefusal the permission map returned during a GraphQL request, and
 * notes the operation's name for the request log line.
 */
export function refusalRecorderPlugin(log: FastifyBaseLogger): ApolloServerPlugin<Context> {
  // one listener for every request (it reads the request from its argument): nothing to allocate
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ contextValue, operationName }) {
      contextValue.requestState.operationName = operationName ?? "(anonymous)";
    },
    async didEncounterErrors({ errors, contextValue }) {
      const recorded = new Set<AccessRefusal>();
      for (const error of errors) {
        const original = unwrapResolverError(error);
        if (!(original instanceof AccessRefusal) || recorded.has(original)) continue;
        recorded.add(original);
        try {
          recordRefusal(contextValue.services.audit, contextValue.caller, original);
        } catch (err) {
          log.error({ err }, "could not record an auth-failure audit event");
        }
      }
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
