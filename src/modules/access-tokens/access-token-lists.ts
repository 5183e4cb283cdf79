// Reading access tokens in lists: a user's personal tokens and an organization's tokens,
// whole or a page at a time, revoked ones on request.
import type { AccessTokenRow, OrganizationRow, UserRow } from "../../db/rows.js";
import { and, asc, count, eq, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Store } from "../../db/store.js";

import { type CursorCodec, ListCursors, type Page } from "../../lib/pagination.js";
import { requireUser } from "./access-token.service.js";

/** A page of tokens, and their count (computed only when asked for). */
export interface TokenPage {
  readonly page: Page<AccessTokenRow>;
  readonly count: () => Promise<number>;
}

export class AccessTokenLists {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorCodec,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  /** The calling user's tokens, oldest first; revoked ones only when asked. */
  async listPersonal(caller: Caller, includeDeleted = false): Promise<AccessTokenRow[]> {
    return this.store.db
      .select()
      .from(this.t.accessTokensTable)
      .where(this.personalScope(requireUser(caller), includeDeleted))
      .orderBy(asc(this.t.accessTokensTable.createdAt), asc(this.t.accessTokensTable.id));
  }

  /** A page of the calling user's tokens, oldest first (keyset on creation time and id). */
  async personalPage(caller: Caller, includeDeleted: boolean, first: number | null, after: string | null): Promise<TokenPage> {
    const user = requireUser(caller);
    const cursors = new ListCursors(this.cursors, `personal-tokens:${user.id}`);
    const { size, from } = cursors.request(first, after);
    const t = this.t.accessTokensTable;
    const scope = this.personalScope(user, includeDeleted);
    const start = from ? { createdAt: new Date(Number(from[0])), id: String(from[1]) } : null;
    const rows = await this.store.db
      .select()
      .from(t)
      .where(
        and(scope, start ? or(gt(t.createdAt, start.createdAt), and(eq(t.createdAt, start.createdAt), gt(t.id, start.id))) : undefined),
      )
      .orderBy(asc(t.createdAt), asc(t.id))
      .limit(size + 1);
    return {
      page: cursors.page(rows, size, (last) => [last.createdAt.getTime(), last.id]),
      count: async () => (await this.store.db.select({ n: count() }).from(t).where(scope))[0]!.n,
    };
  }

  private personalScope(user: UserRow, includeDeleted: boolean): SQL | undefined {
    const t = this.t.accessTokensTable;
    return and(eq(t.userId, user.id), eq(t.kind, "PERSONAL"), includeDeleted ? undefined : isNull(t.deletedAt));
  }

  /**
   * A page of the organization's tokens by name, ignoring case (keyset on lower(name), the
   * order of the unique index on (organization, lower(name)) that serves it); deleted ones
   * only when asked.
   */
  async organizationPage(
    organization: OrganizationRow,
    includeDeleted: boolean,
    first: number | null,
    after: string | null,
  ): Promise<TokenPage> {
    const cursors = new ListCursors(this.cursors, `organization-tokens:${organization.id}`);
    const { size, from } = cursors.request(first, after);
    const t = this.t.accessTokensTable;
    const byName = sql`lower(${t.name})`;
    // kind as a literal, so SQLite can use the partial unique index (WHERE kind = 'ORGANIZATION')
    const scope = and(
      eq(t.organizationId, organization.id),
      sql`${t.kind} = 'ORGANIZATION'`,
      includeDeleted ? undefined : isNull(t.deletedAt),
    );
    const rows = await this.store.db
      .select()
      .from(t)
      .where(and(scope, from ? gt(byName, String(from[0])) : undefined))
      .orderBy(asc(byName))
      .limit(size + 1);
    return {
      page: cursors.page(rows, size, (last) => [(last.name ?? "").toLowerCase()]),
      count: async () => (await this.store.db.select({ n: count() }).from(t).where(scope))[0]!.n,
    };
  }
}
