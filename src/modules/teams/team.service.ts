import { and, count, eq } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { OrganizationRow, StackRow, TeamRow } from "../../db/rows.js";
import { type Db, type Tx, writeTransaction } from "../../db/client.js";
import { countInOrganization, findByName, listByName } from "../../db/organization-rows.js";
import { onUniqueViolation } from "../../db/errors.js";
import {
  membershipsTable,
  stacksTable,
  teamMembersTable,
  teamStackGrantsTable,
  teamsTable,
  type StackPermissionValue,
} from "../../db/schema.js";
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
    private readonly db: Db,
    private readonly audit: AuditWriter,
    private readonly users: UserService,
  ) {}

  list(organization: OrganizationRow): TeamRow[] {
    return listByName(this.db, teamsTable, organization.id);
  }

  byName(organization: OrganizationRow, name: string, tx: Tx = this.db): TeamRow | null {
    return findByName(tx, teamsTable, organization.id, name);
  }

  create(caller: Caller, organization: OrganizationRow, input: CreateTeamInput): TeamRow {
    const name = checkName("team name", input.name, "input.name");
    const displayName = input.displayName == null ? name : checkDisplayName(input.displayName);
    const description = input.description == null ? null : checkText("description", input.description, 1000, "input.description");
    try {
      return writeTransaction(this.db, (tx) => {
        if (countInOrganization(tx, teamsTable, organization.id) >= MAX_TEAMS_PER_ORGANIZATION) {
          throw organizationCapReached(organization.name, MAX_TEAMS_PER_ORGANIZATION, "teams");
        }
        const team = tx
          .insert(teamsTable)
          .values({ id: newId(), organizationId: organization.id, name, displayName, description, createdAt: new Date() })
          .returning()
          .get();
        this.audit.write(caller, { organizationId: organization.id, event: "team-created", description: `Created team "${name}"` });
        return team;
      });
    } catch (error) {
      throw onUniqueViolation(error, () => nameTaken(organization.name, "team", name));
    }
  }

  /** The team's members and stack grants go with it. */
  delete(caller: Caller, organization: OrganizationRow, name: string): true {
    return writeTransaction(this.db, (tx) => {
      const team = this.requireTeam(tx, organization, name);
      tx.delete(teamsTable).where(eq(teamsTable.id, team.id)).run();
      this.audit.write(caller, { organizationId: organization.id, event: "team-deleted", description: `Deleted team "${team.name}"` });
      return true as const;
    });
  }

  /** Adds organization members to the team and removes logins from it; one audit event when anything changed. */
  updateMembership(caller: Caller, organization: OrganizationRow, input: UpdateTeamMembershipInput): TeamRow {
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

    return writeTransaction(this.db, (tx) => {
      const team = this.requireTeam(tx, organization, input.team);
      const added: string[] = [];
      for (const user of add.map((login) => this.users.requireByLogin(login))) {
        const member = tx
          .select({ role: membershipsTable.role })
          .from(membershipsTable)
          .where(and(eq(membershipsTable.organizationId, organization.id), eq(membershipsTable.userId, user.id)))
          .get();
        if (!member) {
          const at = given.findIndex((login) => login.toLowerCase() === user.login.toLowerCase());
          throw new BadUserInputError(`"${user.login}" is not a member of "${organization.name}": add them to the organization first`, {
            field: `input.addLogins[${at}]`,
          });
        }
        const changes = tx.insert(teamMembersTable).values({ teamId: team.id, userId: user.id }).onConflictDoNothing().run().changes;
        if (changes > 0) added.push(user.login);
      }
      const removed: string[] = [];
      for (const user of remove.map((login) => this.users.requireByLogin(login))) {
        const changes = tx
          .delete(teamMembersTable)
          .where(and(eq(teamMembersTable.teamId, team.id), eq(teamMembersTable.userId, user.id)))
          .run().changes;
        if (changes > 0) removed.push(user.login);
      }
      if (added.length > 0 || removed.length > 0) {
        const parts = [
          added.length > 0 ? `added ${added.map((l) => `"${l}"`).join(", ")}` : "",
          removed.length > 0 ? `removed ${removed.map((l) => `"${l}"`).join(", ")}` : "",
        ].filter(Boolean);
        this.audit.write(caller, {
          organizationId: organization.id,
          event: "team-membership-changed",
          description: `Team "${team.name}": ${parts.join("; ")}`,
        });
      }
      return team;
    });
  }

  /** Creates or replaces the team's grant on the stack (nothing to audit when it is the same). */
  grant(caller: Caller, organization: OrganizationRow, input: TeamStackTarget): TeamRow {
    const permission = input.permission ?? "READ";
    if (permission === "NONE") {
      throw new BadUserInputError("a grant is READ, WRITE or ADMIN: use removeTeamStackGrant to remove one", { field: "input.permission" });
    }
    return writeTransaction(this.db, (tx) => {
      const team = this.requireTeam(tx, organization, input.team);
      const stack = this.requireStack(tx, organization, input.project, input.stack);
      const current = tx
        .select({ permission: teamStackGrantsTable.permission })
        .from(teamStackGrantsTable)
        .where(and(eq(teamStackGrantsTable.teamId, team.id), eq(teamStackGrantsTable.stackId, stack.id)))
        .get();
      if (current?.permission === permission) return team; // nothing changes, nothing to audit
      if (!current) {
        const grants = tx.select({ n: count() }).from(teamStackGrantsTable).where(eq(teamStackGrantsTable.teamId, team.id)).get()!.n;
        if (grants >= MAX_GRANTS_PER_TEAM)
          throw new BadUserInputError(`team "${team.name}" already has ${MAX_GRANTS_PER_TEAM} stack grants, the most a team may have`);
      }
      tx.insert(teamStackGrantsTable)
        .values({ teamId: team.id, stackId: stack.id, permission })
        .onConflictDoUpdate({ target: [teamStackGrantsTable.teamId, teamStackGrantsTable.stackId], set: { permission } })
        .run();
      this.audit.write(caller, {
        organizationId: organization.id,
        event: "team-stack-permission-granted",
        description: `Granted ${permission} on stack "${stack.project}/${stack.name}" to team "${team.name}"`,
      });
      return team;
    });
  }

  revoke(caller: Caller, organization: OrganizationRow, input: TeamStackTarget): TeamRow {
    return writeTransaction(this.db, (tx) => {
      const team = this.requireTeam(tx, organization, input.team);
      const stack = this.requireStack(tx, organization, input.project, input.stack);
      const removed = tx
        .delete(teamStackGrantsTable)
        .where(and(eq(teamStackGrantsTable.teamId, team.id), eq(teamStackGrantsTable.stackId, stack.id)))
        .run().changes;
      if (removed === 0) {
        throw new NotFoundError(`team "${team.name}" has no grant on stack "${stack.project}/${stack.name}"`);
      }
      this.audit.write(caller, {
        organizationId: organization.id,
        event: "team-stack-permission-revoked",
        description: `Revoked the grant on stack "${stack.project}/${stack.name}" from team "${team.name}"`,
      });
      return team;
    });
  }

  private requireTeam(tx: Tx, organization: OrganizationRow, name: string): TeamRow {
    const team = this.byName(organization, name, tx);
    if (!team) throw new NotFoundError(`"${organization.name}" has no team named ${quote(name)}`);
    return team;
  }

  private requireStack(tx: Tx, organization: OrganizationRow, project: string, name: string): StackRow {
    const stack = tx
      .select()
      .from(stacksTable)
      .where(and(eq(stacksTable.organizationId, organization.id), eq(stacksTable.project, project), eq(stacksTable.name, name)))
      .get();
    if (!stack) throw new NotFoundError(`stack ${quote(`${organization.name}/${project}/${name}`)} not found`);
    return stack;
  }
}
