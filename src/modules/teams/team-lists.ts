// Reading teams in lists: a page of an organization's teams, and the members and stack grants
// of many teams at once (whole, or a page each), with their counts. Each is one query for any
// number of teams, so a list of teams costs the same as one (see src/graphql/loaders.ts).
import type { OrganizationRow, TeamRow, UserRow } from "../../db/rows.js";
import { and, asc, count, eq, gt, inArray, lte, or, sql } from "drizzle-orm";
import { countInOrganization, listByName } from "../../db/organization-rows.js";
import type { Store } from "../../db/store.js";

import { byNamePage, type PageRequest } from "../../lib/pagination.js";
import type { GrantRow } from "./team.service.js";

/** `rows` grouped by team, in their order; every team of `teamIds` has a list, empty when it has no rows. */
function byTeam<R extends { teamId: string }, T>(teamIds: readonly string[], rows: readonly R[], pick: (row: R) => T): Map<string, T[]> {
  const groups = new Map<string, T[]>(teamIds.map((id) => [id, []]));
  for (const row of rows) groups.get(row.teamId)?.push(pick(row));
  return groups;
}

export class TeamLists {
  constructor(private readonly store: Store) {}

  /** The store\'s tables (SQLite\'s or PostgreSQL\'s). */
  private get t() {
    return this.store.tables;
  }

  /** Up to `size` + 1 teams by name, ignoring case (keyset on lower(name): the unique index's order). */
  page(organization: OrganizationRow, request: PageRequest): Promise<TeamRow[]> {
    return listByName(this.store.db, this.t.teamsTable, organization.id, byNamePage(request));
  }

  count(organization: OrganizationRow): Promise<number> {
    return countInOrganization(this.store.db, this.t.teamsTable, organization.id);
  }

  /** Members of many teams in one query, by login. */
  async membersOf(teamIds: readonly string[]): Promise<Map<string, UserRow[]>> {
    if (teamIds.length === 0) return new Map();
    const rows = await this.store.db
      .select({ teamId: this.t.teamMembersTable.teamId, user: this.t.usersTable })
      .from(this.t.teamMembersTable)
      .innerJoin(this.t.usersTable, eq(this.t.usersTable.id, this.t.teamMembersTable.userId))
      .where(inArray(this.t.teamMembersTable.teamId, [...teamIds]))
      .orderBy(asc(sql`lower(${this.t.usersTable.login})`));
    return byTeam(teamIds, rows, (row) => row.user);
  }

  /** Stack grants of many teams in one query, by project and stack name. */
  async grantsOf(teamIds: readonly string[]): Promise<Map<string, GrantRow[]>> {
    if (teamIds.length === 0) return new Map();
    const rows = await this.store.db
      .select({ teamId: this.t.teamStackGrantsTable.teamId, stack: this.t.stacksTable, permission: this.t.teamStackGrantsTable.permission })
      .from(this.t.teamStackGrantsTable)
      .innerJoin(this.t.stacksTable, eq(this.t.stacksTable.id, this.t.teamStackGrantsTable.stackId))
      .where(inArray(this.t.teamStackGrantsTable.teamId, [...teamIds]))
      .orderBy(asc(this.t.stacksTable.project), asc(this.t.stacksTable.name));
    return byTeam(teamIds, rows, (row): GrantRow => row);
  }

  /**
   * Up to `size` + 1 members of each team by login, ignoring case, after `afterLogin` (a
   * lowercase login), in one query for any number of teams (a window per team).
   */
  async memberPages(teamIds: readonly string[], size: number, afterLogin: string | null): Promise<Map<string, UserRow[]>> {
    if (teamIds.length === 0) return new Map();
    const tm = this.t.teamMembersTable;
    const byLogin = sql`lower(${this.t.usersTable.login})`;
    const ranked = this.store.db
      .select({
        teamId: tm.teamId,
        userId: tm.userId,
        rank: sql<number>`row_number() over (partition by ${tm.teamId} order by ${byLogin})`.as("rank"),
      })
      .from(tm)
      .innerJoin(this.t.usersTable, eq(this.t.usersTable.id, tm.userId))
      .where(and(inArray(tm.teamId, [...teamIds]), afterLogin !== null ? gt(byLogin, afterLogin) : undefined))
      .as("ranked");
    const rows = await this.store.db
      .select({ teamId: ranked.teamId, user: this.t.usersTable })
      .from(ranked)
      .innerJoin(this.t.usersTable, eq(this.t.usersTable.id, ranked.userId))
      .where(lte(sql`${ranked.rank}`, size + 1))
      .orderBy(ranked.teamId, sql`${ranked.rank}`);
    return byTeam(teamIds, rows, (row) => row.user);
  }

  /**
   * Up to `size` + 1 stack grants of each team by project, then stack name, after `after`
   * ([project, stack]), in one query for any number of teams.
   */
  async grantPages(teamIds: readonly string[], size: number, after: readonly [string, string] | null): Promise<Map<string, GrantRow[]>> {
    if (teamIds.length === 0) return new Map();
    const g = this.t.teamStackGrantsTable;
    const s = this.t.stacksTable;
    const ranked = this.store.db
      .select({
        teamId: g.teamId,
        stackId: g.stackId,
        permission: g.permission,
        rank: sql<number>`row_number() over (partition by ${g.teamId} order by ${s.project}, ${s.name})`.as("rank"),
      })
      .from(g)
      .innerJoin(s, eq(s.id, g.stackId))
      .where(
        and(
          inArray(g.teamId, [...teamIds]),
          after ? or(gt(s.project, after[0]), and(eq(s.project, after[0]), gt(s.name, after[1]))) : undefined,
        ),
      )
      .as("ranked");
    const rows = await this.store.db
      .select({ teamId: ranked.teamId, permission: ranked.permission, stack: this.t.stacksTable })
      .from(ranked)
      .innerJoin(this.t.stacksTable, eq(this.t.stacksTable.id, ranked.stackId))
      .where(lte(sql`${ranked.rank}`, size + 1))
      .orderBy(ranked.teamId, sql`${ranked.rank}`);
    return byTeam(teamIds, rows, (row): GrantRow => row);
  }

  /** How many members each team has, in one query. */
  memberCounts(teamIds: readonly string[]): Promise<Map<string, number>> {
    return this.countsPerTeam(this.t.teamMembersTable, teamIds);
  }

  /** How many stack grants each team has, in one query. */
  grantCounts(teamIds: readonly string[]): Promise<Map<string, number>> {
    return this.countsPerTeam(this.t.teamStackGrantsTable, teamIds);
  }

  private async countsPerTeam(
    table: typeof this.t.teamMembersTable | typeof this.t.teamStackGrantsTable,
    teamIds: readonly string[],
  ): Promise<Map<string, number>> {
    if (teamIds.length === 0) return new Map();
    const rows = await this.store.db
      .select({ teamId: table.teamId, n: count() })
      .from(table)
      .where(inArray(table.teamId, [...teamIds]))
      .groupBy(table.teamId);
    return new Map(rows.map((r) => [r.teamId, r.n]));
  }
}
