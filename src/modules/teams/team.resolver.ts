import type { OrganizationRow, StackRow, TeamRow, UserRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { ListCursors, pageKey } from "../../lib/pagination.js";
import type { StackNode } from "../../permissions/access.js";
import { Organization } from "../organizations/organization.type.js";
import { Stack } from "../stacks/stack.type.js";
import { User } from "../users/user.type.js";
import {
  CreateTeamInput,
  DeleteTeamInput,
  RemoveTeamStackGrantInput,
  SetTeamStackGrantInput,
  TeamStackAccessInput,
  UpdateTeamMembershipInput,
} from "./team.inputs.js";
import type { GrantRow } from "./team.service.js";
import { Team, TeamConnection, TeamMemberConnection, TeamStackGrant, TeamStackGrantConnection } from "./team.type.js";

/** A team with its organization, so grants can be judged against the caller's access there. */
export interface TeamNode extends TeamRow {
  readonly organization: OrganizationRow;
}

interface TeamStackGrantNode extends TeamStackGrant {
  readonly stackRow: StackRow;
  readonly organization: OrganizationRow;
}

const FIRST = { nullable: true, defaultValue: 50, description: "1–100." } as const;
const AFTER = { nullable: true, description: "The endCursor of the previous page." } as const;

const toGrantNode =
  (team: TeamNode) =>
  (g: GrantRow): TeamStackGrantNode => ({
    projectName: g.stack.project,
    stackName: g.stack.name,
    permission: g.permission,
    stackRow: g.stack,
    organization: team.organization,
  });

@Resolver(() => Team)
export class TeamResolver {
  @Mutation(() => Team, {
    description:
      "Creates a team with no members; at most 500 per organization. CONFLICT when the name is taken. Organization admins and tokens.",
  })
  async createTeam(
    @Arg("input", () => CreateTeamInput, { description: "The organization and the new team." }) input: CreateTeamInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const team = await ctx.services.teams.create(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Boolean, {
    description: "Deletes a team; its memberships and stack grants go with it. Organization admins and tokens.",
  })
  async deleteTeam(
    @Arg("input", () => DeleteTeamInput, { description: "The organization and the team." }) input: DeleteTeamInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const deleted = await ctx.services.teams.delete(ctx.caller, organization, input.name);
    return deleted;
  }

  @Mutation(() => Team, {
    description:
      "Adds members to a team and removes them from it. Only members of the organization can join its teams. Organization admins only.",
  })
  async updateTeamMembership(
    @Arg("input", () => UpdateTeamMembershipInput, { description: "The team, the logins to add and those to remove." })
    input: UpdateTeamMembershipInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const team = await ctx.services.teams.updateMembership(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Team, {
    description: "Creates or replaces the team's grant on the stack. Organization admins only.",
    deprecationReason: "Use setTeamStackGrant: it names the stack by StackRef and its permission admits only READ, WRITE and ADMIN.",
  })
  async grantTeamStackAccess(
    @Arg("input", () => TeamStackAccessInput, { description: "The team, the stack and the permission." }) input: TeamStackAccessInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const team = await ctx.services.teams.grant(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Team, {
    description: "Removes the team's grant on the stack; NOT_FOUND when it has none. Organization admins only.",
    deprecationReason: "Use removeTeamStackGrant: it names the stack by StackRef.",
  })
  async revokeTeamStackAccess(
    @Arg("input", () => TeamStackAccessInput, { description: "The team and the stack; permission is ignored." })
    input: TeamStackAccessInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const team = await ctx.services.teams.revoke(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Team, { description: "Creates or replaces the team's grant on the stack. Organization admins only." })
  async setTeamStackGrant(
    @Arg("input", () => SetTeamStackGrantInput, { description: "The stack, the team and the permission." }) input: SetTeamStackGrantInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.stack.organization);
    const { project, stack } = input.stack;
    const team = await ctx.services.teams.grant(ctx.caller, organization, {
      team: input.team,
      project,
      stack,
      permission: input.permission,
    });
    return { ...team, organization };
  }

  @Mutation(() => Team, { description: "Removes the team's grant on the stack; NOT_FOUND when it has none. Organization admins only." })
  async removeTeamStackGrant(
    @Arg("input", () => RemoveTeamStackGrantInput, { description: "The stack and the team." }) input: RemoveTeamStackGrantInput,
    @Ctx() ctx: Context,
  ): Promise<TeamNode> {
    const organization = await ctx.access.requireOrganization(input.stack.organization);
    const { project, stack } = input.stack;
    const team = await ctx.services.teams.revoke(ctx.caller, organization, { team: input.team, project, stack });
    return { ...team, organization };
  }

  @FieldResolver(() => [User], {
    description: "Every member of the team, by login ignoring case.",
    deprecationReason: "Use membersConnection: paged, with totalCount.",
  })
  async members(@Root() team: TeamNode, @Ctx() ctx: Context): Promise<UserRow[]> {
    return ctx.loaders.of("teamMembers").load(team.id);
  }

  @FieldResolver(() => [TeamStackGrant], {
    description: "Every stack grant of the team, by project, then stack name.",
    deprecationReason: "Use stackGrantsConnection: paged, with totalCount.",
  })
  async stackGrants(@Root() team: TeamNode, @Ctx() ctx: Context): Promise<TeamStackGrantNode[]> {
    const grants = await ctx.loaders.of("teamGrants").load(team.id);
    return grants.map(toGrantNode(team));
  }

  @FieldResolver(() => TeamMemberConnection, { description: "The team's members, paged, by login ignoring case." })
  async membersConnection(
    @Root() team: TeamNode,
    @Arg("first", () => Int, FIRST) first: number | null,
    @Arg("after", () => String, AFTER) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<TeamMemberConnection> {
    const cursors = new ListCursors(ctx.services.cursors, `team-members:${team.id}`);
    const { size, from } = cursors.request(first, after);
    const rows = await ctx.loaders.of("teamMemberPage").load(pageKey(team.id, size, from));
    return new TeamMemberConnection(
      cursors.page(rows, size, (user) => [user.login.toLowerCase()]),
      () => ctx.loaders.of("teamMemberCount").load(team.id),
    );
  }

  @FieldResolver(() => TeamStackGrantConnection, { description: "The team's stack grants, paged, by project, then stack name." })
  async stackGrantsConnection(
    @Root() team: TeamNode,
    @Arg("first", () => Int, FIRST) first: number | null,
    @Arg("after", () => String, AFTER) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<TeamStackGrantConnection> {
    const cursors = new ListCursors(ctx.services.cursors, `team-grants:${team.id}`);
    const { size, from } = cursors.request(first, after);
    const rows = await ctx.loaders.of("teamGrantPage").load(pageKey(team.id, size, from));
    const page = cursors.page(rows, size, (g) => [g.stack.project, g.stack.name]);
    return new TeamStackGrantConnection({ ...page, nodes: page.nodes.map(toGrantNode(team)) }, () =>
      ctx.loaders.of("teamGrantCount").load(team.id),
    );
  }
}

@Resolver(() => TeamStackGrant)
export class TeamStackGrantResolver {
  @FieldResolver(() => Stack, { nullable: true, description: "Null when the caller cannot READ the stack." })
  async stack(@Root() grant: TeamStackGrantNode, @Ctx() ctx: Context): Promise<StackNode | null> {
    return ctx.access.toStackNode(await ctx.access.organization(grant.organization.name), grant.stackRow, true);
  }
}

@Resolver(() => Organization)
export class OrganizationTeamsResolver {
  @FieldResolver(() => [Team], {
    description: "Every team of the organization, by name ignoring case.",
    deprecationReason: "Use teamsConnection: paged, with totalCount.",
  })
  async teams(@Root() organization: OrganizationRow, @Ctx() ctx: Context): Promise<TeamNode[]> {
    return (await ctx.services.teams.list(organization)).map((team) => ({ ...team, organization }));
  }

  @FieldResolver(() => TeamConnection, { description: "The organization's teams, paged, by name ignoring case." })
  async teamsConnection(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, FIRST) first: number | null,
    @Arg("after", () => String, AFTER) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<TeamConnection> {
    const cursors = new ListCursors(ctx.services.cursors, `teams:${organization.id}`);
    const request = cursors.request(first, after);
    const page = cursors.page(await ctx.services.teamLists.page(organization, request), request.size, (team) => [team.name.toLowerCase()]);
    return new TeamConnection({ ...page, nodes: page.nodes.map((team) => ({ ...team, organization })) }, () =>
      ctx.services.teamLists.count(organization),
    );
  }

  @FieldResolver(() => Team, { nullable: true, description: "A team by name; null when the organization has none of that name." })
  async team(
    @Root() organization: OrganizationRow,
    @Arg("name", () => String, { description: "The team's name (any letter case)." }) name: string,
    @Ctx() ctx: Context,
  ): Promise<TeamNode | null> {
    const team = await ctx.services.teams.byName(organization, name);
    return team ? { ...team, organization } : null;
  }
}
