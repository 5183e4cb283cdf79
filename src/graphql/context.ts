import type { Caller } from "../auth/principal.js";
import { Access } from "../permissions/access.js";
import type { Services } from "../services.js";
import { createLoaders, type Loaders } from "./loaders.js";
import type { ResponseBudget } from "./response-budget.js";

/** What the HTTP layer knows of a request; the request log line reads it at the end. */
export interface RequestState {
  readonly caller: Caller;
  operationName: string | null;
  /** Stacks whose state this request read (and audited) already. */
  readonly statesRead: Set<string>;
  /** Webhook pings this request sent (capped: each may take the whole delivery timeout). */
  pings: number;
  /** What the response may still grow by (MAX_RESPONSE_BYTES). */
  readonly responseBudget: ResponseBudget;
}

/** What every resolver and rule receives, built once per request. */
export interface Context {
  readonly caller: Caller;
  readonly services: Services;
  /** What the caller can reach, memoised for this request. */
  readonly access: Access;
  readonly loaders: Loaders;
  readonly requestState: RequestState;
  /** After a mutation: forget every memoised answer and batched row of this request. */
  invalidate(): void;
}

export function createContext(services: Services, requestState: RequestState): Context {
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
