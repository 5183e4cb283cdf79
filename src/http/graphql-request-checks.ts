// What the GraphQL endpoint refuses before Apollo sees a request (a preHandler, after
// authentication and the body):
// - a caller without a token sends introspection only (the playground's docs): any other
//   document is answered 401 here, so nothing of it is parsed by Apollo, validated or
//   compiled (their caches stay for callers who authenticated);
// - automatic persisted queries are off (no client of Gatehouse uses them, and their cache
//   would let anyone store documents in the server's memory): a request that uses them gets a
//   clear 400 instead of Apollo's PERSISTED_QUERY_NOT_SUPPORTED with status 200.
import type { preHandlerHookHandler } from "fastify";
import { type DocumentNode, Kind, parse, type SelectionSetNode } from "graphql";
import { BadUserInputError, UnauthenticatedError } from "../errors.js";
import { sendAppError } from "./authenticate-request.js";

/** Every operation of `query` asks only for __schema, __type or __typename at its root. */
export function isIntrospectionOnly(query: string, maxTokens: number): boolean {
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens, noLocation: true });
  } catch {
    return false;
  }
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  }
  const visited = new Set<string>();
  const onlyMetaFields = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value.startsWith("__");
      if (selection.kind === Kind.INLINE_FRAGMENT) return onlyMetaFields(selection.selectionSet);
      const name = selection.name.value;
      if (visited.has(name)) return true;
      visited.add(name);
      const fragment = fragments.get(name);
      return fragment !== undefined && onlyMetaFields(fragment);
    });
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return (
    operations.length > 0 &&
    operations.every((operation) => operation.kind === Kind.OPERATION_DEFINITION && onlyMetaFields(operation.selectionSet))
  );
}

function usesPersistedQuery(extensions: unknown): boolean {
  if (typeof extensions === "string") {
    try {
      return usesPersistedQuery(JSON.parse(extensions));
    } catch {
      return false; // Apollo answers malformed extensions itself
    }
  }
  return typeof extensions === "object" && extensions !== null && "persistedQuery" in extensions;
}

export function graphqlRequestChecks(maxTokens: number): preHandlerHookHandler {
  return (request, reply, done) => {
    const params = (request.method === "GET" ? request.query : request.body) as Record<string, unknown> | null | undefined;
    if (params && typeof params === "object" && !Array.isArray(params)) {
      if (usesPersistedQuery(params.extensions)) {
        return void sendAppError(
          reply,
          new BadUserInputError("automatic persisted queries are not supported: send the document in `query`"),
          400,
        );
      }
      const { query } = params;
      if (request.gatehouse!.caller.principal.kind === "ANONYMOUS" && typeof query === "string" && !isIntrospectionOnly(query, maxTokens)) {
        return void sendAppError(
          reply,
          new UnauthenticatedError(
            "a valid access token is required (without one, only introspection is answered): send `Authorization: token <secret>`",
          ),
        );
      }
    }
    done();
  };
}
