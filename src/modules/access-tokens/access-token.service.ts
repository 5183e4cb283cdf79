import { and, asc, count, eq, isNull, type SQL } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { AccessTokenRow, OrganizationRow, UserRow } from "../../db/rows.js";
import { generateSecret, hashSecret } from "../../lib/token-secret.js";
import type { Db, Store, Tx } from "../../db/store.js";
import { onUniqueViolation } from "../../db/errors.js";

import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from "../../errors.js";
import { newTokenId } from "../../lib/ids.js";
import { checkExpiry, checkName, checkText } from "../../lib/validation.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import { isEntitled } from "../../permissions/entitlements.js";
import type { CreateOrganizationAccessTokenInput, CreatePersonalAccessTokenInput } from "./access-token.inputs.js";

export interface IssuedToken {
  readonly row: AccessTokenRow;
  /** The secret, returned once to the creator and never stored, logged or audited. */
  readonly secret: string;
}

/** Live tokens a user, or an organization, may hold at once. */
export const MAX_LIVE_PERSONAL_TOKENS = 100;
export const MAX_LIVE_ORGANIZATION_TOKENS = 500;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names a token id in an error only when it is one: a secret pasted by mistake is never echoed. */
const describeId = (id: string) => (UUID_PATTERN.test(id) ? ` ${id}` : " with that id (token ids are UUIDs)");

function checkDescription(description: string, { required }: { required: boolean }): string {
  const text = checkText("description", description, 200, "input.description", { allowEmpty: !required });
  return text.trim();
}

/** The user behind a caller the permission map already admitted as a user. */
export function requireUser(caller: Caller): UserRow {
  if (caller.principal.kind !== "USER") throw new ForbiddenError("only a user may do this: use a personal access token");
  return caller.principal.user;
}

/** Personal and organization access tokens: issue, list (paged: AccessTokenLists), revoke. */
export class AccessTokenService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  /** Refuses a new token when its owner (`owner`: a user's or an organization's tokens) already holds `cap` live ones. */
  private async refusePastLiveCap(tx: Tx, owner: SQL, cap: number, refusal: string): Promise<void> {
    const [row] = await tx
      .select({ n: count() })
      .from(this.t.accessTokensTable)
      .where(and(owner, isNull(this.t.accessTokensTable.deletedAt)));
    if (row!.n >= cap) throw new BadUserInputError(refusal);
  }

  /** The token `id` among `owner`'s tokens (revoked ones too); undefined when there is none or `id` is no UUID. */
  private async tokenAmong(tx: Tx, owner: SQL, id: string): Promise<AccessTokenRow | undefined> {
    if (!UUID_PATTERN.test(id)) return undefined;
    const [token] = await tx
      .select()
      .from(this.t.accessTokensTable)
      .where(and(eq(this.t.accessTokensTable.id, id), owner))
      .limit(1);
    return token;
  }

  /** Revokes the live token `id` among `owner`'s: its name, or undefined when there is no such live token. */
  private async revokeLive(q: Db, owner: SQL, id: string): Promise<{ name: string | null } | undefined> {
    if (!UUID_PATTERN.test(id)) return undefined;
    const [revoked] = await q
      .update(this.t.accessTokensTable)
      .set({ deletedAt: new Date() })
      .where(and(eq(this.t.accessTokensTable.id, id), owner, isNull(this.t.accessTokensTable.deletedAt)))
      .returning({ name: this.t.accessTokensTable.name });
    return revoked;
  }

  private personalTokensOf(user: UserRow): SQL {
    return and(eq(this.t.accessTokensTable.userId, user.id), eq(this.t.accessTokensTable.kind, "PERSONAL"))!;
  }

  private organizationTokensOf(organization: OrganizationRow): SQL {
    return and(eq(this.t.accessTokensTable.organizationId, organization.id), eq(this.t.accessTokensTable.kind, "ORGANIZATION"))!;
  }

  private async revoke(tx: Tx, token: AccessTokenRow): Promise<AccessTokenRow> {
    const [revoked] = await tx
      .update(this.t.accessTokensTable)
      .set({ deletedAt: new Date() })
      .where(eq(this.t.accessTokensTable.id, token.id))
      .returning();
    return revoked!;
  }

  /** Issues a personal token for `userId` inside the caller's transaction. */
  async insertPersonal(tx: Tx, userId: string, description: string, expiresAt: Date | null): Promise<IssuedToken> {
    const secret = generateSecret("PERSONAL");
    const [row] = await tx
      .insert(this.t.accessTokensTable)
      .values({
        id: newTokenId(),
        kind: "PERSONAL",
        secretHash: hashSecret(secret),
        userId,
        description,
        createdAt: new Date(),
        expiresAt,
      })
      .returning();
    return { row: row!, secret };
  }

  async createPersonal(caller: Caller, input: CreatePersonalAccessTokenInput): Promise<IssuedToken> {
    const user = requireUser(caller);
    const description = checkDescription(input.description, { required: true });
    const expiresAt = checkExpiry(input.expiresAt, "input.expiresAt");
    return this.store.transaction(async (tx) => {
      await this.refusePastLiveCap(
        tx,
        eq(this.t.accessTokensTable.userId, user.id),
        MAX_LIVE_PERSONAL_TOKENS,
        `you already have ${MAX_LIVE_PERSONAL_TOKENS} personal access tokens: delete some first`,
      );
      return this.insertPersonal(tx, user.id, description, expiresAt);
    });
  }

  /**
   * Revokes one of the caller's own tokens and returns it; revoking it again returns it as it
   * is (a retry). Another user's token is NOT_FOUND, as if absent.
   */
  async revokePersonal(caller: Caller, id: string): Promise<AccessTokenRow> {
    const user = requireUser(caller);
    return this.store.transaction(async (tx) => {
      const token = await this.tokenAmong(tx, this.personalTokensOf(user), id);
      if (!token) throw new NotFoundError(`you have no personal access token${describeId(id)}`);
      return token.deletedAt !== null ? token : this.revoke(tx, token);
    });
  }

  /** Revokes one of the caller's own tokens; another user's token is NOT_FOUND, as if absent. */
  async deletePersonal(caller: Caller, id: string): Promise<true> {
    const user = requireUser(caller);
    if (!(await this.revokeLive(this.store.db, this.personalTokensOf(user), id))) {
      throw new NotFoundError(`you have no personal access token${describeId(id)}`);
    }
    return true;
  }

  /**
   * `createdBy`: the admin recorded as the token's creator when the system acts (the admin
   * CLI); otherwise the calling user. The audit event names the caller either way.
   */
  async createForOrganization(
    caller: Caller,
    organization: OrganizationRow,
    input: CreateOrganizationAccessTokenInput,
    createdBy?: UserRow,
  ): Promise<IssuedToken> {
    const creator = caller.principal.kind === "SYSTEM" && createdBy ? createdBy : requireUser(caller);
    const name = checkName("token name", input.name, "input.name");
    const description = checkDescription(input.description ?? "", { required: false });
    const expiresAt = checkExpiry(input.expiresAt, "input.expiresAt");
    if (!isEntitled(organization)) {
      // The permission map checks this first; kept here so no other path can skip it.
      throw new ForbiddenError("organization access tokens need the ENTERPRISE_GROWTH or BUSINESS_CRITICAL subscription");
    }
    const secret = generateSecret("ORGANIZATION");
    try {
      return await this.store.transaction(async (tx) => {
        await this.refusePastLiveCap(
          tx,
          eq(this.t.accessTokensTable.organizationId, organization.id),
          MAX_LIVE_ORGANIZATION_TOKENS,
          `"${organization.name}" already has ${MAX_LIVE_ORGANIZATION_TOKENS} live organization tokens: delete some first`,
        );
        const [row] = await tx
          .insert(this.t.accessTokensTable)
          .values({
            id: newTokenId(),
            kind: "ORGANIZATION",
            secretHash: hashSecret(secret),
            organizationId: organization.id,
            name,
            description,
            createdByUserId: creator.id,
            createdAt: new Date(),
            expiresAt,
          })
          .returning();
        await this.audit.write(tx, caller, {
          organizationId: organization.id,
          event: "organization-token-created",
          description: `Created organization access token "${name}"${caller.principal.kind === "SYSTEM" ? ` (by the ${caller.principal.label}, recorded as created by "${creator.login}")` : ""}`,
        });
        return { row: row!, secret };
      });
    } catch (error) {
      throw onUniqueViolation(
        error,
        () =>
          new ConflictError(
            `organization "${organization.name}" already has (or had) a token named "${name}": names are never reused, pick another`,
            { field: "input.name" },
          ),
      );
    }
  }

  /**
   * Revokes an organization token and returns it; revoking it again returns it as it is (a
   * retry), auditing nothing.
   */
  async revokeForOrganization(caller: Caller, organization: OrganizationRow, id: string): Promise<AccessTokenRow> {
    return this.store.transaction(async (tx) => {
      const token = await this.tokenAmong(tx, this.organizationTokensOf(organization), id);
      if (!token) throw new NotFoundError(`"${organization.name}" has no organization access token${describeId(id)}`);
      if (token.deletedAt !== null) return token;
      const revoked = await this.revoke(tx, token);
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "organization-token-deleted",
        description: `Deleted organization access token "${revoked.name}"`,
      });
      return revoked;
    });
  }

  /** The organization's tokens, oldest first; deleted ones only when asked. */
  listForOrganization(organization: OrganizationRow, includeDeleted: boolean): Promise<AccessTokenRow[]> {
    return this.store.db
      .select()
      .from(this.t.accessTokensTable)
      .where(
        and(
          eq(this.t.accessTokensTable.organizationId, organization.id),
          eq(this.t.accessTokensTable.kind, "ORGANIZATION"),
          includeDeleted ? undefined : isNull(this.t.accessTokensTable.deletedAt),
        ),
      )
      .orderBy(asc(this.t.accessTokensTable.createdAt), asc(this.t.accessTokensTable.name));
  }

  /**
   * Operators' view (the admin CLI's list-tokens): every token of one organization or one user,
   * or all of them, oldest first; deleted ones only when asked. Metadata only: no secret exists to show.
   */
  listAny(filter: { organization?: OrganizationRow; user?: UserRow; includeDeleted: boolean }): Promise<AccessTokenRow[]> {
    const t = this.t.accessTokensTable;
    return this.store.db
      .select()
      .from(t)
      .where(
        and(
          filter.organization ? eq(t.organizationId, filter.organization.id) : undefined,
          filter.user ? eq(t.userId, filter.user.id) : undefined,
          filter.includeDeleted ? undefined : isNull(t.deletedAt),
        ),
      )
      .orderBy(asc(t.createdAt), asc(t.id));
  }

  deleteForOrganization(caller: Caller, organization: OrganizationRow, id: string): Promise<true> {
    return this.store.transaction(async (tx) => {
      const row = await this.revokeLive(tx, this.organizationTokensOf(organization), id);
      if (!row) {
        throw new NotFoundError(`"${organization.name}" has no organization access token${describeId(id)}`);
      }
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "organization-token-deleted",
        description: `Deleted organization access token "${row.name}"`,
      });
      return true as const;
    });
  }

  /**
   * Incident response (admin CLI `revoke-token`): revokes any personal or organization token
   * by id, whoever owns it. An organization token's revocation is audited in its organization
   * as `organization-token-deleted`, attributed to `caller` (the system); a personal token
   * belongs to no organization, so there is no audit log to write it to.
   */
  revokeAny(caller: Caller, id: string): Promise<AccessTokenRow> {
    return this.store.transaction(async (tx) => {
      const [token] = UUID_PATTERN.test(id)
        ? await tx.select().from(this.t.accessTokensTable).where(eq(this.t.accessTokensTable.id, id)).limit(1)
        : [];
      if (!token) throw new NotFoundError(`there is no access token${describeId(id)}: check the id`);
      if (token.deletedAt !== null) {
        throw new ConflictError(`access token ${token.id} was already revoked at ${token.deletedAt.toISOString()}: nothing to do`);
      }
      // the audit log records no actor for the system, so the description names it
      const by = caller.principal.kind === "SYSTEM" ? ` (revoked by the ${caller.principal.label})` : "";
      const [revoked] = await tx
        .update(this.t.accessTokensTable)
        .set({ deletedAt: new Date() })
        .where(and(eq(this.t.accessTokensTable.id, token.id), isNull(this.t.accessTokensTable.deletedAt)))
        .returning();
      if (revoked!.kind === "ORGANIZATION" && revoked!.organizationId !== null) {
        await this.audit.write(tx, caller, {
          organizationId: revoked!.organizationId,
          event: "organization-token-deleted",
          description: `Deleted organization access token "${revoked!.name}"${by}`,
        });
      }
      return revoked!;
    });
  }
}
