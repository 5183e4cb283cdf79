import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { OrganizationRow, UserRow } from "../../db/rows.js";
import type { Db, Store } from "../../db/store.js";
import { rowsByIds } from "../../db/by-id.js";
import { onUniqueViolation } from "../../db/errors.js";
import { type OrganizationRoleValue } from "../../db/schema.js";
import { BadUserInputError, ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { checkDisplayName, checkName, quote } from "../../lib/validation.js";
import { requireUser } from "../access-tokens/access-token.service.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { CreateOrganizationInput, SetSubscriptionInput, UpdateOrganizationSettingsInput } from "./organization.inputs.js";

export interface MembershipRow {
  readonly organization: OrganizationRow;
  readonly role: OrganizationRoleValue;
}

/** Organizations: creation, settings, subscription. */
export class OrganizationService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    /** MAX_ORGANIZATIONS_PER_USER: organizations a user may have created and still belong to. */
    private readonly maxCreatedPerUser: number,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  /**
   * The caller becomes the new organization's ADMIN; it starts on the TEAM tier. A user may
   * have created at most MAX_ORGANIZATIONS_PER_USER organizations they still belong to (names
   * cannot be squatted in bulk); site admins are not limited. The system (the admin CLI) names
   * the user who becomes its ADMIN instead: an organization always has one.
   */
  async create(caller: Caller, input: CreateOrganizationInput, admin?: UserRow): Promise<OrganizationRow> {
    const user = caller.principal.kind === "SYSTEM" && admin ? admin : requireUser(caller);
    const name = checkName("organization name", input.name, "input.name");
    const displayName = input.displayName == null ? name : checkDisplayName(input.displayName);
    try {
      return await this.store.transaction(async (tx) => {
        // operators (site admins, the admin CLI) are not limited
        if (!user.isSiteAdmin && caller.principal.kind !== "SYSTEM") {
          const created = await this.createdBy(tx, user.id);
          if (created >= this.maxCreatedPerUser) {
            throw new BadUserInputError(
              `you have created ${created} organizations, the most one user may (MAX_ORGANIZATIONS_PER_USER=${this.maxCreatedPerUser})`,
            );
          }
        }
        const now = new Date();
        const [organization] = await tx
          .insert(this.t.organizationsTable)
          .values({ id: newId(), name, displayName, createdAt: now })
          .returning();
        await tx
          .insert(this.t.membershipsTable)
          .values({ organizationId: organization!.id, userId: user.id, role: "ADMIN", createdAt: now });
        await this.audit.write(tx, caller, {
          organizationId: organization!.id,
          event: "organization-created",
          description: `Created organization "${name}"${caller.principal.kind === "SYSTEM" ? ` (by the ${caller.principal.label}, with "${user.login}" as its ADMIN)` : ""}`,
        });
        return organization!;
      });
    } catch (error) {
      throw onUniqueViolation(error, () => new ConflictError(`the organization name "${name}" is taken`, { field: "input.name" }));
    }
  }

  /**
   * Organizations `userId` created and still belongs to: the `organization-created` event of
   * each of their organizations names its creator (the audit log is append-only).
   */
  private async createdBy(tx: Db, userId: string): Promise<number> {
    const [row] = await tx
      .select({ n: count() })
      .from(this.t.membershipsTable)
      .innerJoin(
        this.t.auditEventsTable,
        and(
          eq(this.t.auditEventsTable.organizationId, this.t.membershipsTable.organizationId),
          eq(this.t.auditEventsTable.event, "organization-created"),
          eq(this.t.auditEventsTable.userId, userId),
        ),
      )
      .where(eq(this.t.membershipsTable.userId, userId));
    return row!.n;
  }

  updateSettings(caller: Caller, organization: OrganizationRow, input: UpdateOrganizationSettingsInput): Promise<OrganizationRow> {
    const changes: Partial<Pick<OrganizationRow, "displayName" | "defaultStackPermission">> = {};
    if (input.displayName != null) changes.displayName = checkDisplayName(input.displayName);
    if (input.defaultStackPermission != null && input.defaultPermission != null) {
      throw new BadUserInputError("give defaultPermission or the deprecated defaultStackPermission, not both", {
        field: "input.defaultStackPermission",
      });
    }
    if (input.defaultStackPermission === "ADMIN") {
      throw new BadUserInputError("defaultStackPermission must be NONE, READ or WRITE: grant ADMIN through teams", {
        field: "input.defaultStackPermission",
      });
    }
    const defaultStackPermission = input.defaultPermission ?? input.defaultStackPermission;
    if (defaultStackPermission != null) changes.defaultStackPermission = defaultStackPermission;
    const described = Object.entries(changes).map(([key, value]) => `${key} to ${JSON.stringify(value)}`);
    if (described.length === 0) {
      throw new BadUserInputError("nothing to change: give displayName or defaultPermission");
    }
    return this.store.transaction(async (tx) => {
      const [updated] = await tx
        .update(this.t.organizationsTable)
        .set(changes)
        .where(eq(this.t.organizationsTable.id, organization.id))
        .returning();
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "organization-settings-changed",
        description: `Changed ${described.join(" and ")}`,
      });
      return updated!;
    });
  }

  /** Site administration: any organization, by name. */
  async setSubscription(caller: Caller, input: SetSubscriptionInput): Promise<OrganizationRow> {
    const organization = await this.findByName(input.organization);
    if (!organization) throw new NotFoundError(`organization ${quote(input.organization)} not found`);
    const trialEndsAt = input.trialEndsAt ?? null;
    if (trialEndsAt && trialEndsAt.getTime() <= Date.now()) {
      throw new BadUserInputError("trialEndsAt must be in the future; omit it for a paid subscription", { field: "input.trialEndsAt" });
    }
    return this.store.transaction(async (tx) => {
      const [updated] = await tx
        .update(this.t.organizationsTable)
        .set({ tier: input.tier, trialEndsAt })
        .where(eq(this.t.organizationsTable.id, organization.id))
        .returning();
      const trial = trialEndsAt ? ` (trial until ${trialEndsAt.toISOString()})` : "";
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "subscription-changed",
        description: `Changed the subscription from ${organization.tier} to ${input.tier}${trial}`,
      });
      return updated!;
    });
  }

  async findByName(name: string, q: Db = this.store.db): Promise<OrganizationRow | undefined> {
    const [organization] = await q
      .select()
      .from(this.t.organizationsTable)
      .where(eq(sql`lower(${this.t.organizationsTable.name})`, name.toLowerCase()))
      .limit(1);
    return organization;
  }

  byIds(ids: readonly string[]): Promise<OrganizationRow[]> {
    return rowsByIds(this.store.db, this.t.organizationsTable, ids);
  }

  /** Every organization, oldest first, with how many members it has (the admin CLI's list). */
  async listAll(): Promise<(OrganizationRow & { members: number })[]> {
    const rows = await this.store.db
      .select({ organization: this.t.organizationsTable, members: count(this.t.membershipsTable.userId) })
      .from(this.t.organizationsTable)
      .leftJoin(this.t.membershipsTable, eq(this.t.membershipsTable.organizationId, this.t.organizationsTable.id))
      .groupBy(this.t.organizationsTable.id)
      .orderBy(asc(this.t.organizationsTable.createdAt), asc(this.t.organizationsTable.id));
    return rows.map(({ organization, members }) => ({ ...organization, members }));
  }

  /** The organizations a user belongs to, by name. */
  membershipsOf(user: UserRow): Promise<MembershipRow[]> {
    return this.store.db
      .select({ organization: this.t.organizationsTable, role: this.t.membershipsTable.role })
      .from(this.t.membershipsTable)
      .innerJoin(this.t.organizationsTable, eq(this.t.organizationsTable.id, this.t.membershipsTable.organizationId))
      .where(eq(this.t.membershipsTable.userId, user.id))
      .orderBy(asc(this.t.organizationsTable.name));
  }
}
