// Turns the Authorization header into a principal (CONTRACT.md §1–2). Every request reads
// the token row again: a deletion takes effect on the very next request, on every server
// sharing the database, because there is no cache to outlive it.
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { accessTokensTable, organizationsTable, usersTable } from "../db/schema.js";
import { type AppError, ForbiddenError, UnauthenticatedError } from "../errors.js";
import { organizationTokensEnabled } from "../modules/organizations/subscription.js";
import { ANONYMOUS, type Principal } from "./principal.js";
import { hashSecret, parseSecret } from "./token-secret.js";

/** lastUsedAt is refreshed at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const AUTHORIZATION_PATTERN = /^(?:token|bearer)[ \t]+(\S+)[ \t]*$/i;

export type AuthenticationResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly error: AppError };

const refuse = (error: AppError): AuthenticationResult => ({ ok: false, error });

export class Authenticator {
  private readonly findBySecretHash;
  private readonly userById;
  private readonly organizationById;
  private readonly touchLastUsed;

  constructor(db: Db) {
    // three point lookups (a few µs each) rather than one join, whose plan SQLite may pick badly
    this.findBySecretHash = db
      .select()
      .from(accessTokensTable)
      .where(eq(accessTokensTable.secretHash, sql.placeholder("hash")))
      .prepare();
    this.userById = db.select().from(usersTable).where(eq(usersTable.id, sql.placeholder("id"))).prepare();
    this.organizationById = db
      .select()
      .from(organizationsTable)
      .where(eq(organizationsTable.id, sql.placeholder("id")))
      .prepare();
    // One conditional UPDATE: a no-op when another request (or server) refreshed it meanwhile.
    this.touchLastUsed = db
      .update(accessTokensTable)
      .set({ lastUsedAt: sql`${sql.placeholder("now")}` })
      .where(
        and(
          eq(accessTokensTable.id, sql.placeholder("id")),
          sql`coalesce(${accessTokensTable.lastUsedAt}, 0) <= ${sql.placeholder("staleBefore")}`,
        ),
      )
      .prepare();
  }

  /** `authorization` is the raw header value; absent or empty means anonymous. */
  authenticate(authorization: string | undefined, now: number = Date.now()): AuthenticationResult {
    if (authorization === undefined || authorization.trim() === "") return { ok: true, principal: ANONYMOUS };
    const secret = AUTHORIZATION_PATTERN.exec(authorization)?.[1];
    if (secret === undefined) {
      return refuse(new UnauthenticatedError("malformed Authorization header: send `Authorization: token <secret>`"));
    }
    // A malformed secret or a failed checksum never reaches the database.
    if (parseSecret(secret) === null) return refuse(new UnauthenticatedError("malformed access token"));

    const token = this.findBySecretHash.get({ hash: hashSecret(secret) });
    if (!token || token.deletedAt !== null) {
      return refuse(new UnauthenticatedError("the access token is unknown or has been deleted"));
    }
    if (token.expiresAt !== null && token.expiresAt.getTime() <= now) {
      return refuse(new UnauthenticatedError(`the access token expired at ${token.expiresAt.toISOString()}`));
    }

    let principal: Principal;
    const user = token.kind === "PERSONAL" && token.userId ? this.userById.get({ id: token.userId }) : undefined;
    const organization =
      token.kind === "ORGANIZATION" && token.organizationId ? this.organizationById.get({ id: token.organizationId }) : undefined;
    if (user) {
      principal = { kind: "USER", user, token };
    } else if (organization) {
      if (!organizationTokensEnabled(organization, now)) {
        return refuse(
          new ForbiddenError(
            `organization access tokens of "${organization.name}" are disabled: its subscription does not include them (ENTERPRISE_GROWTH or BUSINESS_CRITICAL)`,
          ),
        );
      }
      principal = { kind: "ORGANIZATION_TOKEN", token, organization };
    } else {
      return refuse(new UnauthenticatedError("the access token is unknown or has been deleted"));
    }

    const lastUsed = token.lastUsedAt?.getTime();
    if (lastUsed === undefined || now - lastUsed >= LAST_USED_RESOLUTION_MS) {
      // Raw SQL fragments: the values are bound as epoch milliseconds, as the column stores them.
      this.touchLastUsed.run({ id: token.id, now, staleBefore: now - LAST_USED_RESOLUTION_MS });
    }
    return { ok: true, principal };
  }
}
