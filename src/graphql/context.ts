import type { Caller } from "../auth/principal.js";
import type { Store } from "../db/store.js";
import type { RefusalRecorder } from "../modules/audit/refusal-recorder.js";
import type { FeatureServices, ResolverContext, ResolverRequestState } from "../modules/resolver-context.js";
import { Access, type AccessQueries } from "../permissions/access.js";
import type { RuleContext } from "../permissions/rules.js";
import { createLoaders, type Loaders } from "./loaders.js";

/** What the GraphQL layer uses of the services src/services.ts builds: the features' and its own. */
export interface GraphQLServices extends FeatureServices {
  readonly accessQueries: AccessQueries;
  readonly refusals: RefusalRecorder;
  /** For the email-visibility loader (src/permissions/visibility.ts). */
  readonly store: Store;
}

/** What the HTTP layer knows of a request; the request log line reads it at the end. */
export interface RequestState extends ResolverRequestState {
  readonly caller: Caller;
  operationName: string | null;
}

/**
 * What every resolver and rule receives, built once per request: the resolvers see it as a
 * ResolverContext (src/modules/resolver-context.ts), the permission rules as a RuleContext.
 */
export interface Context extends ResolverContext, RuleContext {
  readonly services: GraphQLServices;
  readonly loaders: Loaders;
  readonly requestState: RequestState;
  /** After a mutation: forget every memoised answer and batched row of this request. */
  invalidate(): void;
}

export function createContext(services: GraphQLServices, requestState: RequestState): Context {
  const { caller } = requestState;
  const access = new Access(services.accessQueries, caller.principal);
  const loaders = createLoaders(services, caller);
  return {
    caller,
    services,
    access,
    loaders,
    requestState,
    invalidate() {
      access.forget();
      loaders.clearAll();
    },
  };
}
