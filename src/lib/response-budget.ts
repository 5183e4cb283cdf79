// A response is bounded in bytes while it is built, not after: the resolvers that can put
// large values into it (update event payloads, stack state, webhook deliveries, GraphQL audit
// exports) charge what they add here first. Past the limit an event page is cut short (it
// says hasNextPage, the rest comes next time) or the field is refused with BAD_USER_INPUT;
// the response stays well-formed. The small fields in between (names, flags, audit event
// rows of at most ~1 KB) are bounded by the cost limit (fields resolved) times their own
// size limits.
import { BadUserInputError } from "../errors.js";

/** What a service calls before it adds `bytes` of `what` to a response; throws when they do not fit. */
export type ChargeBytes = (bytes: number, what: string) => void;

/** For callers that build no response (the CLI, scripts). */
export const unbounded: ChargeBytes = () => {};

export class ResponseTooLargeError extends BadUserInputError {
  constructor(limit: number, what: string) {
    super(
      `the response would be larger than ${limit} bytes (MAX_RESPONSE_BYTES) with ${what}: ask for less per request (fewer aliases, smaller pages) and fetch the rest with the next page`,
    );
  }
}

export class ResponseBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  /** Bytes that may still be added. */
  get remaining(): number {
    return this.limit - this.used;
  }

  /** Counts `bytes` of `what` (e.g. "the state of stack a/b/c"); refused when they do not fit. */
  readonly charge: ChargeBytes = (bytes, what) => {
    if (bytes > this.remaining) throw new ResponseTooLargeError(this.limit, what);
    this.used += bytes;
  };
}
