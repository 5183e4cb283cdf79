// Turns the Authorization header into a principal (CONTRACT.md §1–2). What a secret resolves
// to is remembered only while the database has not changed at all (the store's ChangeStamp,
// SQLite's: any write, by this server or another one sharing the file, empties the cache), so
// a deleted token, a changed subscription or a removed user fails on the very next request,
// everywhere. PostgreSQL has no exact change stamp: there every request reads the token.
import type { AccessTokenRow, OrganizationRow, UserRow } from "../db/rows.js";
import { and, eq, isNull, lte, or } from "drizzle-orm";
import { rowById } from "../db/by-id.js";
import type { ChangeStamp, Store } from "../db/store.js";
import { type AppError, ForbiddenError, UnauthenticatedError } from "../errors.js";
import { ANONYMOUS, type Principal } from "./principal.js";
import { hashSecret, parseSecret } from "../lib/token-secret.js";

/** lastUsedAt is refreshed at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const AUTHORIZATION_PATTERN = /^(?:token|bearer)[ \t]+(\S+)[ \t]*$/i;

export type AuthenticationResult = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly error: AppError };

const refuse = (error: AppError): AuthenticationResult => ({ ok: false, error });

/** The rows a secret hash leads to, as they are in the database right now. */
interface ResolvedToken {
  readonly token: AccessTokenRow;
  readonly user: UserRow | undefined;
  readonly organization: OrganizationRow | undefined;
}

/**
 * Whether an organization's access tokens work at `now` (its subscription includes them):
 * a policy of the permission layer (src/permissions/entitlements.ts), handed in by the
 * composition root so that authentication knows no layer above it.
 */
export type OrganizationTokensWork = (organization: OrganizationRow, now: number) => boolean;

/** Entries kept at most; when full, the cache starts again empty (it refills in one request each). */
const MAX_CACHED_TOKENS = 10_000;

export class Authenticator {
  private readonly changes: ChangeStamp | null;
  private readonly resolved = new Map<string, ResolvedToken>();

  constructor(
    private readonly store: Store,
    private readonly organizationTokensWork: OrganizationTokensWork,
  ) {
    this.changes = store.changeStamp;
  }

  /** `authorization` is the raw header value; absent or empty means anonymous. */
  async authenticate(authorization: string | undefined, now: number = Date.now()): Promise<AuthenticationResult> {
    if (authorization === undefined || authorization.trim() === "") return { ok: true, principal: ANONYMOUS };
    const secret = AUTHORIZATION_PATTERN.exec(authorization)?.[1];
    if (secret === undefined) {
      return refuse(new UnauthenticatedError("malformed Authorization header: send `Authorization: token <secret>`"));
    }
    const hash = hashSecret(secret);
    let resolved = this.cached(hash);
    if (resolved === undefined) {
      // A malformed secret or a failed checksum never reaches the database. (Only secrets that
      // passed this check are cached, so a cache hit has passed it.)
      if (parseSecret(secret) === null) return refuse(new UnauthenticatedError("malformed access token"));
      resolved = await this.load(hash);
    }
    if (resolved === undefined || resolved.token.deletedAt !== null) {
      return refuse(new UnauthenticatedError("the access token is unknown or has been deleted"));
    }
    const { token, user, organization } = resolved;
    if (token.expiresAt !== null && token.expiresAt.getTime() <= now) {
      return refuse(new UnauthenticatedError(`the access token expired at ${token.expiresAt.toISOString()}`));
    }

    let principal: Principal;
    if (user) {
      principal = { kind: "USER", user, token };
    } else if (organization) {
      if (!this.organizationTokensWork(organization, now)) {
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
      // one conditional UPDATE: a no-op when another request (or server) refreshed it meanwhile
      const t = this.store.tables.accessTokensTable;
      const staleBefore = new Date(now - LAST_USED_RESOLUTION_MS);
      await this.store.db
        .update(t)
        .set({ lastUsedAt: new Date(now) })
        .where(and(eq(t.id, token.id), or(isNull(t.lastUsedAt), lte(t.lastUsedAt, staleBefore))));
    }
    return { ok: true, principal };
  }

  /** What a secret hash resolved to, if the database has not changed at all since. */
  private cached(hash: string): ResolvedToken | undefined {
    if (this.changes === null) return undefined;
    if (this.changes.changedSinceLastLook()) this.resolved.clear();
    return this.resolved.get(hash);
  }

  /** Reads the token and its owner, and caches them. */
  private async load(hash: string): Promise<ResolvedToken | undefined> {
    const { db, tables } = this.store;
    // three point lookups (a few µs each on SQLite) rather than one join, whose plan SQLite may pick badly
    const [token] = await db.select().from(tables.accessTokensTable).where(eq(tables.accessTokensTable.secretHash, hash)).limit(1);
    if (!token) return undefined;
    const user = token.kind === "PERSONAL" && token.userId ? await rowById(db, tables.usersTable, token.userId) : null;
    const organization =
      token.kind === "ORGANIZATION" && token.organizationId ? await rowById(db, tables.organizationsTable, token.organizationId) : null;
    // frozen: the same rows serve many requests, so nothing may change them in place
    const entry: ResolvedToken = Object.freeze({
      token: Object.freeze(token),
      user: user ? Object.freeze(user) : undefined,
      organization: organization ? Object.freeze(organization) : undefined,
    });
    if (this.changes !== null) {
      if (this.resolved.size >= MAX_CACHED_TOKENS) this.resolved.clear();
      this.resolved.set(hash, entry);
    }
    return entry;
  }
}
