import { and, asc, count, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Caller, OrganizationRow, UserRow } from "../../auth/principal.js";
import { type Db, type Tx, writeTransaction } from "../../db/client.js";
import { isUniqueViolation } from "../../db/errors.js";
import {
  membershipsTable,
  stacksTable,
  teamMembersTable,
  teamStackGrantsTable,
  teamsTable,
  type StackPermissionValue,
  usersTable,
} from "../../db/schema.js";
import { BadUserInputError, ConflictError, NotFoundError } from "../../errors.js";
import { newId } from "../../lib/ids.js";
import type { PageRequest } from "../../lib/pagination.js";
import { checkName, checkText, quote } from "../../lib/validation.js";
import type { StackRow } from "../../permissions/access.js";
import type { AuditWriter } from "../audit/audit.writer.js";
import type { UserService } from "../users/user.service.js";
import type { CreateTeamInput, UpdateTeamMembershipInput } from "./team.inputs.js";

export type TeamRow = typeof teamsTable.$inferSelect;

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
    return this.db
      .select()
      .from(teamsTable)
      .where(eq(teamsTable.organizationId, organization.id))
      .orderBy(asc(sql`lower(${teamsTable.name})`))
      .all();
  }

  /** Up to `size` + 1 teams by name, ignoring case (keyset on lower(name): the unique index's order). */
  page(organization: OrganizationRow, request: PageRequest): TeamRow[] {
    const t = teamsTable;
    const byName = sql`lower(${t.name})`;
    return this.db
      .select()
      .from(t)
      .where(and(eq(t.organizationId, organization.id), request.from ? gt(byName, String(request.from[0])) : undefined))
      .orderBy(asc(byName))
      .limit(request.size + 1)
      .all();
  }

  count(organization: OrganizationRow): number {
    return this.db.select({ n: count() }).from(teamsTable).where(eq(teamsTable.organizationId, organization.id)).get()!.n;
  }

  byName(organization: OrganizationRow, name: string, tx: Tx | Db = this.db): TeamRow | null {
    return (
      tx
        .select()
        .from(teamsTable)
        .where(and(eq(teamsTable.organizationId, organization.id), eq(sql`lower(${teamsTable.name})`, name.toLowerCase())))
        .get() ?? null
    );
  }

  create(caller: Caller, organization: OrganizationRow, input: CreateTeamInput): TeamRow {
    const name = checkName("team name", input.name, "input.name");
    const displayName =
      input.displayName == null ? name : checkText("displayName", input.displayName, 100, "input.displayName", { allowEmpty: false }).trim();
    const description = input.description == null ? null : checkText("description", input.description, 1000, "input.description");
    try {
      return writeTransaction(this.db, (tx) => {
        const teams = tx.select({ n: count() }).from(teamsTable).where(eq(teamsTable.organizationId, organization.id)).get()!.n;
        if (teams >= MAX_TEAMS_PER_ORGANIZATION) {
          throw new BadUserInputError(`"${organization.name}" already has ${MAX_TEAMS_PER_ORGANIZATION} teams, the most an organization may have`);
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
      if (isUniqueViolation(error)) throw new ConflictError(`"${organization.name}" already has a team named "${name}"`, { field: "input.name" });
      throw error;
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
    for (const [list, field] of [[add, "input.addLogins"], [remove, "input.removeLogins"]] as const) {
      if (list.length > MAX_LOGINS_PER_CHANGE) {
        throw new BadUserInputError(`at most ${MAX_LOGINS_PER_CHANGE} logins to add and to remove per call`, { field });
      }
    }
    const both = (input.removeLogins ?? []).findIndex((r) => add.some((login) => r.toLowerCase() === login.toLowerCase()));
    if (both !== -1) {
      throw new BadUserInputError(`${quote(input.removeLogins![both]!)} is both added and removed`, { field: `input.removeLogins[${both}]` });
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
        if (grants >= MAX_GRANTS_PER_TEAM) throw new BadUserInputError(`team "${team.name}" already has ${MAX_GRANTS_PER_TEAM} stack grants, the most a team may have`);
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

  /** Members of many teams in one query, by login. */
  membersOf(teamIds: readonly string[]): Map<string, UserRow[]> {
    const members = new Map<string, UserRow[]>(teamIds.map((id) => [id, []]));
    const rows = this.db
      .select({ teamId: teamMembersTable.teamId, user: usersTable })
      .from(teamMembersTable)
      .innerJoin(usersTable, eq(usersTable.id, teamMembersTable.userId))
      .where(inArray(teamMembersTable.teamId, [...teamIds]))
      .orderBy(asc(sql`lower(${usersTable.login})`))
      .all();
    for (const row of rows) members.get(row.teamId)?.push(row.user);
    return members;
  }

  /** Stack grants of many teams in one query, by project and stack name. */
  grantsOf(teamIds: readonly string[]): Map<string, GrantRow[]> {
    const grants = new Map<string, GrantRow[]>(teamIds.map((id) => [id, []]));
    const rows = this.db
      .select({ teamId: teamStackGrantsTable.teamId, stack: stacksTable, permission: teamStackGrantsTable.permission })
      .from(teamStackGrantsTable)
      .innerJoin(stacksTable, eq(stacksTable.id, teamStackGrantsTable.stackId))
      .where(inArray(teamStackGrantsTable.teamId, [...teamIds]))
      .orderBy(asc(stacksTable.project), asc(stacksTable.name))
      .all();
    for (const row of rows) grants.get(row.teamId)?.push(row);
    return grants;
  }

  /**
   * Up to `size` + 1 members of each team by login, ignoring case, after `afterLogin` (a
   * lowercase login), in one query for any number of teams (a window per team).
   */
  memberPages(teamIds: readonly string[], size: number, afterLogin: string | null): Map<string, UserRow[]> {
    const tm = teamMembersTable;
    const byLogin = sql`lower(${usersTable.login})`;
    const ranked = this.db
      .select({
        teamId: tm.teamId,
        userId: tm.userId,
        rank: sql<number>`row_number() over (partition by ${tm.teamId} order by ${byLogin})`.as("rank"),
      })
      .from(tm)
      .innerJoin(usersTable, eq(usersTable.id, tm.userId))
      .where(and(inArray(tm.teamId, [...teamIds]), afterLogin !== null ? gt(byLogin, afterLogin) : undefined))
      .as("ranked");
    const rows = this.db
      .select({ teamId: ranked.teamId, user: usersTable })
      .from(ranked)
      .innerJoin(usersTable, eq(usersTable.id, ranked.userId))
      .where(lte(sql`${ranked.rank}`, size + 1))
      .orderBy(ranked.teamId, sql`${ranked.rank}`)
      .all();
    const pages = new Map<string, UserRow[]>(teamIds.map((id) => [id, []]));
    for (const row of rows) pages.get(row.teamId)?.push(row.user);
    return pages;
  }

  /**
   * Up to `size` + 1 stack grants of each team by project, then stack name, after `after`
   * ([project, stack]), in one query for any number of teams.
   */
  grantPages(teamIds: readonly string[], size: number, after: readonly [string, string] | null): Map<string, GrantRow[]> {
    const g = teamStackGrantsTable;
    const s = stacksTable;
    const ranked = this.db
      .select({
        teamId: g.teamId,
        stackId: g.stackId,
        permission: g.permission,
        rank: sql<number>`row_number() over (partition by ${g.teamId} order by ${s.project}, ${s.name})`.as("rank"),
      })
      .from(g)
      .innerJoin(s, eq(s.id, g.stackId))
      .where(and(inArray(g.teamId, [...teamIds]), after ? sql`(${s.project}, ${s.name}) > (${after[0]}, ${after[1]})` : undefined))
      .as("ranked");
    const rows = this.db
      .select({ teamId: ranked.teamId, permission: ranked.permission, stack: stacksTable })
      .from(ranked)
      .innerJoin(stacksTable, eq(stacksTable.id, ranked.stackId))
      .where(lte(sql`${ranked.rank}`, size + 1))
      .orderBy(ranked.teamId, sql`${ranked.rank}`)
      .all();
    const pages = new Map<string, GrantRow[]>(teamIds.map((id) => [id, []]));
    for (const row of rows) pages.get(row.teamId)?.push(row);
    return pages;
  }

  /** How many members each team has, in one query. */
  memberCounts(teamIds: readonly string[]): Map<string, number> {
    const tm = teamMembersTable;
    const rows = this.db.select({ teamId: tm.teamId, n: count() }).from(tm).where(inArray(tm.teamId, [...teamIds])).groupBy(tm.teamId).all();
    return new Map(rows.map((r) => [r.teamId, r.n]));
  }

  /** How many stack grants each team has, in one query. */
  grantCounts(teamIds: readonly string[]): Map<string, number> {
    const g = teamStackGrantsTable;
    const rows = this.db.select({ teamId: g.teamId, n: count() }).from(g).where(inArray(g.teamId, [...teamIds])).groupBy(g.teamId).all();
    return new Map(rows.map((r) => [r.teamId, r.n]));
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
