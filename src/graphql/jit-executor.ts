// A compiled executor for Apollo Server: graphql-jit compiles each operation once into
// JavaScript and runs it several times faster than graphql-js interprets it. Mounted
// through Apollo's gateway interface, so parsing, validation (graphql-armor's limits
// included), plugins, error formatting and the HTTP layer stay Apollo's.
//
// Before anything is compiled or run, in this order: the variables are coerced by graphql-js
// itself (its messages name the variable and the path inside it, e.g. `Variable "$i" got
// invalid value "DEPLOY" at "i.kind"; …`), and the operation's cost is computed with those
// values (src/graphql/operation-cost.ts). Only then is it compiled, and it runs on exactly the
// values its cost was computed with. Compiled queries are kept in an LRU bounded by their
// estimated size in bytes: a compiled 20-alias query holds megabytes.
import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { type ExecutionResult, getVariableValues, GraphQLError, type GraphQLSchema } from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import { BadUserInputError } from "../errors.js";
import { operationCost } from "./operation-cost.js";

export interface JitOptions {
  /** Operations costing more are refused (GRAPHQL_MAX_COST). */
  readonly maxCost: number;
  /** What the compiled queries kept may hold, estimated (GRAPHQL_COMPILED_CACHE_BYTES). */
  readonly cacheBytes: number;
  /** Production: no "Did you mean …?" in variable errors (they name schema values). */
  readonly hideSuggestions: boolean;
}

/** JSON in variables nests at most this deep (deeper values would overflow recursive code later). */
export const MAX_VARIABLE_DEPTH = 100;

/**
 * graphql-jit's errors leave `extensions` undefined, which Apollo's error handling does not
 * expect; rebuilt as graphql-js makes them (extensions from the original error, e.g. our
 * codes). An error before execution (no data) is the client's input.
 */
function asGraphQLjsResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  const beforeExecution = result.data === undefined;
  const errors = result.errors.map(
    (e) =>
      new GraphQLError(e.message, {
        nodes: e.nodes,
        source: e.source,
        positions: e.positions,
        path: e.path,
        originalError: e.originalError,
        extensions:
          e.extensions && Object.keys(e.extensions).length > 0 ? e.extensions : beforeExecution ? { code: "BAD_USER_INPUT" } : undefined, // graphql-js then takes the original error's (our codes)
      }),
  );
  return { ...result, errors };
}

/** Whether `value` nests deeper than `max` arrays/objects; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [next, depth] = stack.pop()!;
    if (next === null || typeof next !== "object") continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(next) ? next : Object.values(next)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

interface Entry {
  readonly query: CompiledQuery;
  readonly bytes: number;
  /** The cost, when it cannot depend on variables (the operation declares none). */
  readonly fixedCost: number | undefined;
}

/**
 * Measured on this schema (node --expose-gc, heap after compiling 50 distinct 20-alias
 * queries): ~2.9 bytes of heap per character of the generated function's source, plus the
 * document and bookkeeping. Counted generously.
 */
const BYTES_PER_SOURCE_CHAR = 3.5;
const BYTES_PER_ENTRY = 8 * 1024;

/** Least recently used compiled queries go first once their estimated bytes pass the budget. */
class CompiledQueryCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // most recently used goes last
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: Entry): void {
    // one query that would take more than a quarter of the budget runs once and is not kept
    if (entry.bytes > this.maxBytes / 4) return;
    for (const [oldKey, old] of this.entries) {
      if (this.bytes + entry.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

const NO_VARIABLES: Record<string, unknown> = Object.freeze({});

const withoutSuggestions = (error: GraphQLError): GraphQLError => {
  error.message = error.message.replace(/ ?Did you mean(.+?)\?$/, "");
  return error;
};

export function jitGateway(schema: GraphQLSchema, options: JitOptions): GatewayInterface {
  const cache = new CompiledQueryCache(options.cacheBytes);

  const executor: GatewayExecutor = async (request) => {
    const { document, operation } = request;
    let variables: Record<string, unknown> = NO_VARIABLES;
    const definitions = operation.variableDefinitions ?? [];
    if (definitions.length > 0) {
      // (an operation that declares none reads none: whatever was sent is ignored)
      const raw = request.request.variables ?? {};
      if (nestsDeeperThan(raw, MAX_VARIABLE_DEPTH)) {
        return { errors: [new BadUserInputError(`variables nest more than ${MAX_VARIABLE_DEPTH} levels deep`)] };
      }
      const coerced = getVariableValues(schema, definitions, raw, { maxErrors: 20 });
      if (coerced.errors) return { errors: options.hideSuggestions ? coerced.errors.map(withoutSuggestions) : coerced.errors };
      variables = coerced.coerced;
    }

    const key = `${request.queryHash}:${request.operationName ?? ""}`;
    let entry = cache.get(key);
    const cost = entry?.fixedCost ?? operationCost(schema, document, operation, variables);
    if (cost > options.maxCost) {
      return {
        errors: [
          new BadUserInputError(
            `the query costs ${cost}, more than the limit of ${options.maxCost} (GRAPHQL_MAX_COST): ask for fewer items (a smaller first, or fewer aliases) per request`,
          ),
        ],
      };
    }
    if (!entry) {
      const result = compileQuery(schema, document, request.operationName ?? undefined, {
        disablingCapturingStackErrors: true,
        debug: true, // keeps the generated source on the result: its length sizes the entry
      } as Parameters<typeof compileQuery>[3]);
      if (!isCompiledQuery(result)) return asGraphQLjsResult(result);
      const compiled = result as CompiledQuery & { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?: string };
      const sourceLength = compiled.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?.length ?? 0;
      delete compiled.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
      entry = {
        query: compiled,
        bytes: Math.ceil(sourceLength * BYTES_PER_SOURCE_CHAR) + 2 * (request.source?.length ?? 0) + BYTES_PER_ENTRY,
        fixedCost: definitions.length === 0 ? cost : undefined,
      };
      cache.set(key, entry);
    }
    // graphql-jit coerces these again; coercing already coerced values changes nothing (our
    // enums' values are their names, DateTime accepts a Date, JSON is any value)
    return asGraphQLjsResult(await entry.query.query(undefined, request.context, variables));
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: "" });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {
      cache.clear();
    },
  };
}
