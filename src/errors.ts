// The closed set of error codes a client can see (CONTRACT.md §7). Everything else that
// escapes a resolver is masked to INTERNAL_SERVER_ERROR by maskError (src/http/format-error.ts).
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";

export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "RATE_LIMITED",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status (and headers) an error gives the response; Apollo strips it from the body. */
export interface HttpHead {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An error meant for the client: its message and code are shown as they are. */
export abstract class AppError extends GraphQLError {
  abstract readonly code: ErrorCode;

  constructor(
    code: ErrorCode,
    message: string,
    readonly http?: HttpHead,
  ) {
    super(message, {
      extensions: http
        ? { code, http: { status: http.status, headers: new HeaderMap(Object.entries(http.headers ?? {})) } }
        : { code },
    });
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** No token, or a malformed, unknown, deleted or expired one (HTTP 401). */
export class UnauthenticatedError extends AppError {
  readonly code = "UNAUTHENTICATED" as const;
  constructor(message = "a valid access token is required: send `Authorization: token <secret>`") {
    super("UNAUTHENTICATED", message, { status: 401, headers: { "www-authenticate": "Token" } });
  }
}

/** The caller may see the target but not do this, or is not in the organization named. */
export class ForbiddenError extends AppError {
  readonly code = "FORBIDDEN" as const;
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

/** A user, stack, tag, team, webhook, token or update that does not exist (or cannot be read). */
export class NotFoundError extends AppError {
  readonly code = "NOT_FOUND" as const;
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/** Invalid names, values, URLs, secrets, dates, page sizes, statuses. */
export class BadUserInputError extends AppError {
  readonly code = "BAD_USER_INPUT" as const;
  /** `http`: for an error about the request itself (no field ran), e.g. `{ status: 400 }`. */
  constructor(message: string, http?: HttpHead) {
    super("BAD_USER_INPUT", message, http);
  }
}

/** A name already taken, a member added twice, an update already running. */
export class ConflictError extends AppError {
  readonly code = "CONFLICT" as const;
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

/** Too many requests (HTTP 429 with Retry-After). */
export class RateLimitedError extends AppError {
  readonly code = "RATE_LIMITED" as const;
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `too many requests: retry after ${retryAfterSeconds} s`, {
      status: 429,
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }
}
