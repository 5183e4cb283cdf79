import { and, count, eq } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { OrganizationRow, StackRow, TeamRow } from "../../db/rows.js";
import type { Db, Store, Tx } from "../../db/store.js";
import { countInOrganization, findByName, listByName } from "../../db/organization-rows.js";
import { onUniqueViolation } from "../../db/errors.js";
import { type StackPermissionValue } from "../../db/schema.js";
import { BadUserInputError, nameTaken, NotFoundError, organizationCapReached } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import { checkDisplayName, checkName, checkText, quote } from "../../lib/validation.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { UserService } from "../users/user.service.js";
import type { CreateTeamInput, UpdateTeamMembershipInput } from "./team.inputs.js";

export interface GrantRow {
  readonly teamId: string;
  readonly stack: StackRow;
  readonly permission: StackPermissionValue;
}

/** A team's grant on a stack of its organization, as grant and revoke take it. */
export interface TeamStackTarget {
  /** Not read: the organization is the one passed beside it (callers may pass their whole input). */
  readonly organization?: string;
  readonly team: string;
  readonly project: string;
  readonly stack: string;
  /** For grant; READ when absent. */
  readonly permission?: StackPermissionValue | null;
}

const MAX_LOGINS_PER_CHANGE = 100;
/** Lists read whole (Organization.teams, Team.stackGrants) stay bounded. */
export const MAX_TEAMS_PER_ORGANIZATION = 500;
export const MAX_GRANTS_PER_TEAM = 1000;

/** Teams of an organization: members and stack grants. */
export class TeamService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditWriter,
    private readonly users: UserService,
  ) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  list(organization: OrganizationRow): Promise<TeamRow[]> {
    return listByName(this.store.db, this.t.teamsTable, organization.id);
  }

  byName(organization: OrganizationRow, name: string, q: Db = this.store.db): Promise<TeamRow | null> {
    return findByName(q, this.t.teamsTable, organization.id, name);
  }

  async create(caller: Caller, organization: OrganizationRow, input: CreateTeamInput): Promise<TeamRow> {
    const name = checkName("team name", input.name, "input.name");
    const displayName = input.displayName == null ? name : checkDisplayName(input.displayName);
    const description = input.description == null ? null : checkText("description", input.description, 1000, "input.description");
    try {
      return await this.store.transaction(async (tx) => {
        if ((await countInOrganization(tx, this.t.teamsTable, organization.id)) >= MAX_TEAMS_PER_ORGANIZATION) {
          throw organizationCapReached(organization.name, MAX_TEAMS_PER_ORGANIZATION, "teams");
        }
        const [team] = await tx
          .insert(this.t.teamsTable)
          .values({ id: newId(), organizationId: organization.id, name, displayName, description, createdAt: new Date() })
          .returning();
        await this.audit.write(tx, caller, {
          organizationId: organization.id,
          event: "team-created",
          description: `Created team "${name}"`,
        });
        return team!;
      });
    } catch (error) {
      throw onUniqueViolation(error, () => nameTaken(organization.name, "team", name));
    }
  }

  /** The team's members and stack grants go with it. */
  delete(caller: Caller, organization: OrganizationRow, name: string): Promise<true> {
    return this.store.transaction(async (tx) => {
      const team = await this.requireTeam(tx, organization, name);
      await tx.delete(this.t.teamsTable).where(eq(this.t.teamsTable.id, team.id));
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "team-deleted",
        description: `Deleted team "${team.name}"`,
      });
      return true as const;
    });
  }

  /** Adds organization members to the team and removes logins from it; one audit event when anything changed. */
  async updateMembership(caller: Caller, organization: OrganizationRow, input: UpdateTeamMembershipInput): Promise<TeamRow> {
    const given = input.addLogins ?? [];
    const add = [...new Set(given)];
    const remove = [...new Set(input.removeLogins ?? [])];
    if (add.length === 0 && remove.length === 0) throw new BadUserInputError("give addLogins or removeLogins");
    for (const [list, field] of [
      [add, "input.addLogins"],
      [remove, "input.removeLogins"],
    ] as const) {
      if (list.length > MAX_LOGINS_PER_CHANGE) {
        throw new BadUserInputError(`at most ${MAX_LOGINS_PER_CHANGE} logins to add and to remove per call`, { field });
      }
    }
    const both = (input.removeLogins ?? []).findIndex((r) => add.some((login) => r.toLowerCase() === login.toLowerCase()));
    if (both !== -1) {
      throw new BadUserInputError(`${quote(input.removeLogins![both]!)} is both added and removed`, {
        field: `input.removeLogins[${both}]`,
      });
    }

    return this.store.transaction(async (tx) => {
      const team = await this.requireTeam(tx, organization, input.team);
      const added: string[] = [];
      for (const login of add) {
        const user = await this.users.requireByLogin(login, tx);
        const [member] = await tx
          .select({ role: this.t.membershipsTable.role })
          .from(this.t.membershipsTable)
          .where(and(eq(this.t.membershipsTable.organizationId, organization.id), eq(this.t.membershipsTable.userId, user.id)))
          .limit(1);
        if (!member) {
          const at = given.findIndex((login) => login.toLowerCase() === user.login.toLowerCase());
          throw new BadUserInputError(`"${user.login}" is not a member of "${organization.name}": add them to the organization first`, {
            field: `input.addLogins[${at}]`,
          });
        }
        const inserted = await tx
          .insert(this.t.teamMembersTable)
          .values({ teamId: team.id, userId: user.id })
          .onConflictDoNothing()
          .returning({ userId: this.t.teamMembersTable.userId });
        if (inserted.length > 0) added.push(user.login);
      }
      const removed: string[] = [];
      for (const login of remove) {
        const user = await this.users.requireByLogin(login, tx);
        const deleted = await tx
          .delete(this.t.teamMembersTable)
          .where(and(eq(this.t.teamMembersTable.teamId, team.id), eq(this.t.teamMembersTable.userId, user.id)))
          .returning({ userId: this.t.teamMembersTable.userId });
        if (deleted.length > 0) removed.push(user.login);
      }
      if (added.length > 0 || removed.length > 0) {
        const parts = [
          added.length > 0 ? `added ${added.map((l) => `"${l}"`).join(", ")}` : "",
          removed.length > 0 ? `removed ${removed.map((l) => `"${l}"`).join(", ")}` : "",
        ].filter(Boolean);
        await this.audit.write(tx, caller, {
          organizationId: organization.id,
          event: "team-membership-changed",
          description: `Team "${team.name}": ${parts.join("; ")}`,
        });
      }
      return team;
    });
  }

  /** Creates or replaces the team's grant on the stack (nothing to audit when it is the same). */
  async grant(caller: Caller, organization: OrganizationRow, input: TeamStackTarget): Promise<TeamRow> {
    const permission = input.permission ?? "READ";
    if (permission === "NONE") {
      throw new BadUserInputError("a grant is READ, WRITE or ADMIN: use removeTeamStackGrant to remove one", { field: "input.permission" });
    }
    return this.store.transaction(async (tx) => {
      const team = await this.requireTeam(tx, organization, input.team);
      const stack = await this.requireStack(tx, organization, input.project, input.stack);
      const [current] = await tx
        .select({ permission: this.t.teamStackGrantsTable.permission })
        .from(this.t.teamStackGrantsTable)
        .where(and(eq(this.t.teamStackGrantsTable.teamId, team.id), eq(this.t.teamStackGrantsTable.stackId, stack.id)))
        .limit(1);
      if (current?.permission === permission) return team; // nothing changes, nothing to audit
      if (!current) {
        const [grants] = await tx
          .select({ n: count() })
          .from(this.t.teamStackGrantsTable)
          .where(eq(this.t.teamStackGrantsTable.teamId, team.id));
        if (grants!.n >= MAX_GRANTS_PER_TEAM)
          throw new BadUserInputError(`team "${team.name}" already has ${MAX_GRANTS_PER_TEAM} stack grants, the most a team may have`);
      }
      await tx
        .insert(this.t.teamStackGrantsTable)
        .values({ teamId: team.id, stackId: stack.id, permission })
        .onConflictDoUpdate({ target: [this.t.teamStackGrantsTable.teamId, this.t.teamStackGrantsTable.stackId], set: { permission } });
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "team-stack-permission-granted",
        description: `Granted ${permission} on stack "${stack.project}/${stack.name}" to team "${team.name}"`,
      });
      return team;
    });
  }

  revoke(caller: Caller, organization: OrganizationRow, input: TeamStackTarget): Promise<TeamRow> {
    return this.store.transaction(async (tx) => {
      const team = await this.requireTeam(tx, organization, input.team);
      const stack = await this.requireStack(tx, organization, input.project, input.stack);
      const removed = await tx
        .delete(this.t.teamStackGrantsTable)
        .where(and(eq(this.t.teamStackGrantsTable.teamId, team.id), eq(this.t.teamStackGrantsTable.stackId, stack.id)))
        .returning({ teamId: this.t.teamStackGrantsTable.teamId });
      if (removed.length === 0) {
        throw new NotFoundError(`team "${team.name}" has no grant on stack "${stack.project}/${stack.name}"`);
      }
      await this.audit.write(tx, caller, {
        organizationId: organization.id,
        event: "team-stack-permission-revoked",
        description: `Revoked the grant on stack "${stack.project}/${stack.name}" from team "${team.name}"`,
      });
      return team;
    });
  }

  private async requireTeam(tx: Tx, organization: OrganizationRow, name: string): Promise<TeamRow> {
    const team = await this.byName(organization, name, tx);
    if (!team) throw new NotFoundError(`"${organization.name}" has no team named ${quote(name)}`);
    return team;
  }

  private async requireStack(tx: Tx, organization: OrganizationRow, project: string, name: string): Promise<StackRow> {
    const [stack] = await tx
      .select()
      .from(this.t.stacksTable)
      .where(
        and(
          eq(this.t.stacksTable.organizationId, organization.id),
          eq(this.t.stacksTable.project, project),
          eq(this.t.stacksTable.name, name),
        ),
      )
      .limit(1);
    if (!stack) throw new NotFoundError(`stack ${quote(`${organization.name}/${project}/${name}`)} not found`);
    return stack;
  }
}
