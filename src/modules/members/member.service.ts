import type { OrganizationRow, UserRow } from "../../db/rows.js";
import { and, asc, count, eq, gt, inArray } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Store, Tx } from "../../db/store.js";
import { countInOrganization } from "../../db/organization-rows.js";
import { type OrganizationRoleValue } from "../../db/schema.js";
import { ConflictError, NotFoundError } from "../../errors.js";
import { type CursorCodec, type Page, pageSize, toPage } from "../../lib/pagination.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { UserService } from "../users/user.service.js";
import type { AddOrganizationMemberInput, RemoveOrganizationMemberInput, UpdateOrganizationMemberRoleInput } from "./member.inputs.js";

export interface MemberRow {
  readonly user: UserRow;
  readonly role: OrganizationRoleValue;
  readonly joinedAt: Date;
}

const CURSOR_LIST = "members";

/** Organization membership: list, add, remove, change role (with the last-admin rule). */
export class MemberService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly cursors: CursorCodec,
    private readonly users: UserService,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  /** Oldest member first (keyset on the membership's insertion order). */
  async list(organization: OrganizationRow, first: number | null | undefined, after: string | null | undefined): Promise<Page<MemberRow>> {
    const size = pageSize(first);
    const from = after ? this.cursors.decode(`${CURSOR_LIST}:${organization.id}`, after) : null;
    const m = this.t.membershipsTable;
    const rows = await this.store.db
      .select({ seq: m.seq, user: this.t.usersTable, role: m.role, joinedAt: m.createdAt })
      .from(m)
      .innerJoin(this.t.usersTable, eq(this.t.usersTable.id, m.userId))
      .where(and(eq(m.organizationId, organization.id), from ? gt(m.seq, Number(from[0])) : undefined))
      .orderBy(asc(m.seq))
      .limit(size + 1);
    return toPage(rows, size, (last) => this.cursors.encode(`${CURSOR_LIST}:${organization.id}`, [last.seq]));
  }

  /** The organization's ADMIN members, longest-standing first. */
  async admins(organization: OrganizationRow): Promise<UserRow[]> {
    const rows = await this.store.db
      .select({ user: this.t.usersTable })
      .from(this.t.membershipsTable)
      .innerJoin(this.t.usersTable, eq(this.t.usersTable.id, this.t.membershipsTable.userId))
      .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.role, "ADMIN")))
      .orderBy(asc(this.t.membershipsTable.seq));
    return rows.map(({ user }) => user);
  }

  count(organization: OrganizationRow): Promise<number> {
    return countInOrganization(this.store.db, this.t.membershipsTable, organization.id);
  }

  add(caller: Caller, organization: OrganizationRow, input: AddOrganizationMemberInput): Promise<MemberRow> {
    const role = input.role ?? "MEMBER";
    return this.store.transaction(async (tx) => {
      const user = await this.users.requireByLogin(input.login, tx);
      if (await this.roleOf(tx, organization, user)) {
        throw new ConflictError(`"${user.login}" is already a member of "${organization.name}"`, { field: "input.login" });
      }
      const joinedAt = new Date();
      await tx.insert(this.t.membershipsTable).values({ organizationId: organization.id, userId: user.id, role, createdAt: joinedAt });
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "member-added",
        description: `Added "${user.login}" to the organization as ${role}`,
      });
      return { user, role, joinedAt };
    });
  }

  /** Also removes the user from every team of the organization. */
  remove(caller: Caller, organization: OrganizationRow, input: RemoveOrganizationMemberInput): Promise<true> {
    return this.store.transaction(async (tx) => {
      const user = await this.users.requireByLogin(input.login, tx);
      const member = await this.memberOrThrow(tx, organization, user);
      if (member.role === "ADMIN") await this.refuseLastAdmin(tx, organization, "remove");
      await tx
        .delete(this.t.teamMembersTable)
        .where(
          and(
            eq(this.t.teamMembersTable.userId, user.id),
            inArray(
              this.t.teamMembersTable.teamId,
              tx.select({ id: this.t.teamsTable.id }).from(this.t.teamsTable).where(eq(this.t.teamsTable.organizationId, organization.id)),
            ),
          ),
        );
      await tx
        .delete(this.t.membershipsTable)
        .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.userId, user.id)));
      // the creator's ADMIN on their stacks ends with their membership (and is not back if they return)
      await tx
        .update(this.t.stacksTable)
        .set({ createdByUserId: null })
        .where(and(eq(this.t.stacksTable.organizationId, organization.id), eq(this.t.stacksTable.createdByUserId, user.id)));
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "member-removed",
        description: `Removed "${user.login}" from the organization`,
      });
      return true as const;
    });
  }

  updateRole(caller: Caller, organization: OrganizationRow, input: UpdateOrganizationMemberRoleInput): Promise<MemberRow> {
    return this.store.transaction(async (tx) => {
      const user = await this.users.requireByLogin(input.login, tx);
      const member = await this.memberOrThrow(tx, organization, user);
      if (member.role === input.role) return member;
      if (member.role === "ADMIN") await this.refuseLastAdmin(tx, organization, "demote");
      await tx
        .update(this.t.membershipsTable)
        .set({ role: input.role })
        .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.userId, user.id)));
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "member-role-changed",
        description: `Changed the role of "${user.login}" from ${member.role} to ${input.role}`,
      });
      return { ...member, role: input.role };
    });
  }

  private async roleOf(tx: Tx, organization: OrganizationRow, user: UserRow) {
    const [membership] = await tx
      .select({ role: this.t.membershipsTable.role, joinedAt: this.t.membershipsTable.createdAt })
      .from(this.t.membershipsTable)
      .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.userId, user.id)))
      .limit(1);
    return membership;
  }

  private async memberOrThrow(tx: Tx, organization: OrganizationRow, user: UserRow): Promise<MemberRow> {
    const membership = await this.roleOf(tx, organization, user);
    if (!membership) throw new NotFoundError(`"${user.login}" is not a member of "${organization.name}"`);
    return { user, ...membership };
  }

  /** A state conflict, not bad input: the same call succeeds once another member is ADMIN. */
  private async refuseLastAdmin(tx: Tx, organization: OrganizationRow, action: "remove" | "demote"): Promise<void> {
    const [row] = await tx
      .select({ n: count() })
      .from(this.t.membershipsTable)
      .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.role, "ADMIN")));
    if (row!.n <= 1) {
      throw new ConflictError(`cannot ${action} the last admin of "${organization.name}": make another member ADMIN first`);
    }
  }
}
