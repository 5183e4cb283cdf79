// What the GraphQL endpoint refuses before Apollo sees a request (a preHandler, after
// authentication and the body):
// - a caller without a token sends introspection only (the playground's docs): any other
//   document is answered 401 here, so nothing of it is parsed by Apollo, validated or
//   compiled (their caches stay for callers who authenticated);
// - automatic persisted queries are off (no client of Gatehouse uses them, and their cache
//   would let anyone store documents in the server's memory): a request that uses them gets a
//   clear 400 instead of Apollo's PERSISTED_QUERY_NOT_SUPPORTED with status 200;
// - no string of a request may hold U+0000 (NUL), in a variable (values and keys, however deep)
//   or a literal of the document: PostgreSQL cannot store or compare one ("invalid byte
//   sequence"), SQLite would, so both backends refuse it alike, as BAD_USER_INPUT.
import type { preHandlerHookHandler } from "fastify";
import { type DocumentNode, Kind, Lexer, parse, type SelectionSetNode, Source, TokenKind } from "graphql";
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

const NUL = "\u0000";

/**
 * Where the first string holding U+0000 is in `value` (a key or a value), as a path like
 * `input.tags[2].name`; null when there is none. Iterative, so a value nested 100,000 deep is
 * walked without overflowing the stack; the path is built only for the string found.
 */
export function pathOfNul(value: unknown, root: string): string | null {
  interface Step {
    readonly value: unknown;
    readonly parent: Step | null;
    readonly key: string | number | null;
  }
  const pathOf = (step: Step): string => {
    const parts: string[] = [];
    for (let s: Step | null = step; s !== null && s.key !== null; s = s.parent) {
      parts.push(typeof s.key === "number" ? `[${s.key}]` : `.${s.key}`);
    }
    return root + parts.reverse().join("");
  };
  const stack: Step[] = [{ value, parent: null, key: null }];
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    const current = step.value;
    if (typeof current === "string") {
      if (current.includes(NUL)) return pathOf(step);
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], parent: step, key: i });
    } else if (current !== null && typeof current === "object") {
      for (const [key, child] of Object.entries(current)) {
        if (key.includes(NUL)) return pathOf({ value: key, parent: step, key: JSON.stringify(key) });
        stack.push({ value: child, parent: step, key });
      }
    }
  }
  return null;
}

/** True when a string literal of the document decodes to text holding U+0000 (an escape: a raw NUL is a syntax error). */
function documentHasNul(query: string, maxTokens: number): boolean {
  if (!/\\u(?:0000|\{0+\})/i.test(query)) return false;
  try {
    const lexer = new Lexer(new Source(query));
    for (let token = lexer.advance(), n = 0; token.kind !== TokenKind.EOF && n < maxTokens; token = lexer.advance(), n++) {
      if ((token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) && token.value.includes(NUL)) return true;
    }
  } catch {
    return false; // a syntax error: Apollo answers it
  }
  return false;
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
      const variables = typeof params.variables === "string" ? parseJson(params.variables) : params.variables;
      const inVariable = pathOfNul(variables, "variables");
      if (inVariable !== null || (typeof query === "string" && documentHasNul(query, maxTokens))) {
        const where = inVariable ?? "a string literal of the document";
        return void sendAppError(reply, new BadUserInputError(`${where} holds U+0000 (NUL), which no text of Gatehouse may contain`), 400);
      }
    }
    done();
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null; // Apollo answers malformed variables itself
  }
}
