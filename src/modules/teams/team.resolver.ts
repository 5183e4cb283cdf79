import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import type { OrganizationRow, UserRow } from "../../auth/principal.js";
import type { Context } from "../../graphql/context.js";
import type { StackNode, StackRow } from "../../permissions/access.js";
import { Organization } from "../organizations/organization.type.js";
import { Stack } from "../stacks/stack.type.js";
import { User } from "../users/user.type.js";
import { CreateTeamInput, DeleteTeamInput, TeamStackAccessInput, UpdateTeamMembershipInput } from "./team.inputs.js";
import type { TeamRow } from "./team.service.js";
import { Team, TeamStackGrant } from "./team.type.js";

/** A team with its organization, so grants can be judged against the caller's access there. */
export interface TeamNode extends TeamRow {
  readonly organization: OrganizationRow;
}

interface TeamStackGrantNode extends TeamStackGrant {
  readonly stackRow: StackRow;
  readonly organization: OrganizationRow;
}

@Resolver(() => Team)
export class TeamResolver {
  @Mutation(() => Team)
  createTeam(@Arg("input", () => CreateTeamInput) input: CreateTeamInput, @Ctx() ctx: Context): TeamNode {
    const organization = ctx.access.requireOrganization(input.organization);
    const team = ctx.services.teams.create(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Boolean, { description: "The team's stack grants go with it." })
  deleteTeam(@Arg("input", () => DeleteTeamInput) input: DeleteTeamInput, @Ctx() ctx: Context): boolean {
    const organization = ctx.access.requireOrganization(input.organization);
    const deleted = ctx.services.teams.delete(ctx.caller, organization, input.name);
    return deleted;
  }

  @Mutation(() => Team, { description: "Only members of the organization can join its teams." })
  updateTeamMembership(
    @Arg("input", () => UpdateTeamMembershipInput) input: UpdateTeamMembershipInput,
    @Ctx() ctx: Context,
  ): TeamNode {
    const organization = ctx.access.requireOrganization(input.organization);
    const team = ctx.services.teams.updateMembership(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Team, { description: "Creates or replaces the team's grant on the stack." })
  grantTeamStackAccess(@Arg("input", () => TeamStackAccessInput) input: TeamStackAccessInput, @Ctx() ctx: Context): TeamNode {
    const organization = ctx.access.requireOrganization(input.organization);
    const team = ctx.services.teams.grant(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @Mutation(() => Team)
  revokeTeamStackAccess(@Arg("input", () => TeamStackAccessInput) input: TeamStackAccessInput, @Ctx() ctx: Context): TeamNode {
    const organization = ctx.access.requireOrganization(input.organization);
    const team = ctx.services.teams.revoke(ctx.caller, organization, input);
    return { ...team, organization };
  }

  @FieldResolver(() => [User])
  async members(@Root() team: TeamNode, @Ctx() ctx: Context): Promise<UserRow[]> {
    return ctx.loaders.teamMembers.load(team.id);
  }

  @FieldResolver(() => [TeamStackGrant])
  async stackGrants(@Root() team: TeamNode, @Ctx() ctx: Context): Promise<TeamStackGrantNode[]> {
    const grants = await ctx.loaders.teamGrants.load(team.id);
    return grants.map((g) => ({
      projectName: g.stack.project,
      stackName: g.stack.name,
      permission: g.permission,
      stackRow: g.stack,
      organization: team.organization,
    }));
  }
}

@Resolver(() => TeamStackGrant)
export class TeamStackGrantResolver {
  @FieldResolver(() => Stack, { nullable: true, description: "Null when the caller cannot READ the stack." })
  stack(@Root() grant: TeamStackGrantNode, @Ctx() ctx: Context): StackNode | null {
    return ctx.access.toStackNode(ctx.access.organization(grant.organization.name), grant.stackRow, true);
  }
}

@Resolver(() => Organization)
export class OrganizationTeamsResolver {
  @FieldResolver(() => [Team])
  teams(@Root() organization: OrganizationRow, @Ctx() ctx: Context): TeamNode[] {
    return ctx.services.teams.list(organization).map((team) => ({ ...team, organization }));
  }

  @FieldResolver(() => Team, { nullable: true })
  team(@Root() organization: OrganizationRow, @Arg("name", () => String) name: string, @Ctx() ctx: Context): TeamNode | null {
    const team = ctx.services.teams.byName(organization, name);
    return team ? { ...team, organization } : null;
  }
}
