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

/**
 * Where in the operation's arguments the value an error is about sits, as a console ties an
 * error to a form field: `input.stack`, `input.events[3].payload`, `first`. It is the path of
 * the argument as the client sent it: `input.` for a mutation's input object.
 */
export type FieldPath = string;

export interface InputErrorOptions {
  /** Shown as `extensions.field`. */
  readonly field?: FieldPath;
  /** The HTTP status of an error about the request itself (no field ran), e.g. `{ status: 400 }`. */
  readonly http?: HttpHead;
}

/** An error meant for the client: its message and code are shown as they are. */
export abstract class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly http?: HttpHead,
    readonly field?: FieldPath,
  ) {
    super(message, {
      extensions: {
        code,
        ...(field === undefined ? {} : { field }),
        ...(http ? { http: { status: http.status, headers: new HeaderMap(Object.entries(http.headers ?? {})) } } : {}),
      },
    });
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** No token, or a malformed, unknown, deleted or expired one (HTTP 401). */
export class UnauthenticatedError extends AppError {
  constructor(message = "a valid access token is required: send `Authorization: token <secret>`") {
    super("UNAUTHENTICATED", message, { status: 401, headers: { "www-authenticate": "Token" } });
  }
}

/** The caller may see the target but not do this, or is not in the organization named. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

/** A user, stack, tag, team, webhook, token or update that does not exist (or cannot be read). */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

/**
 * Invalid names, values, URLs, secrets, dates, page sizes: something a change to the input
 * fixes. `field` names the input it is about, when it is about one.
 */
export class BadUserInputError extends AppError {
  /** `http`: for an error about the request itself (no field ran), e.g. `{ status: 400 }`. */
  constructor(message: string, options: InputErrorOptions = {}) {
    super("BAD_USER_INPUT", message, options.http, options.field);
  }
}

/**
 * The request is well-formed but the current state refuses it: a name already taken, a
 * member added twice, an update already running or already ended with another outcome, the
 * last admin. `field` names the input it is about, when it is about one (a taken name).
 */
export class ConflictError extends AppError {
  constructor(message: string, options: InputErrorOptions = {}) {
    super("CONFLICT", message, undefined, options.field);
  }
}

/** CONFLICT about `input.name`: `owner` (an organization's name) already has a `what` named `name`. */
export const nameTaken = (owner: string, what: string, name: string): ConflictError =>
  new ConflictError(`"${owner}" already has a ${what} named "${name}"`, { field: "input.name" });

/** BAD_USER_INPUT: `owner` (an organization's name) already has `cap` `what` (plural), the most an organization may have. */
export const organizationCapReached = (owner: string, cap: number, what: string): BadUserInputError =>
  new BadUserInputError(`"${owner}" already has ${cap} ${what}, the most an organization may have`);

/** Too many requests (HTTP 429 with Retry-After). */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super("RATE_LIMITED", `too many requests: retry after ${retryAfterSeconds} s`, {
      status: 429,
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }
}
