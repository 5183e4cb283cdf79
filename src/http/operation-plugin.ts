import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { BadUserInputError } from "../errors.js";
import type { Context } from "../graphql/context.js";
import { quote, redactSecrets } from "../lib/validation.js";

/**
 * Once Apollo picked the operation to run: refuses an `operationName` that names none of
 * the document's operations (a client error, 400), and notes the operation's name for the
 * request log line, redacted like every other echoed input (a secret pasted as the name).
 */
export function operationPlugin(): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ contextValue, operation, operationName, request }) {
      if (!operation) {
        throw new BadUserInputError(
          request.operationName
            ? `operationName ${quote(request.operationName)} names no operation in the document`
            : "the document holds several operations: name the one to run in operationName",
          { status: 400 },
        );
      }
      contextValue.requestState.operationName = operationName ? redactSecrets(operationName) : "(anonymous)";
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
