import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { Organization } from "../organizations/organization.type.js";
import { AddOrganizationMemberInput, RemoveOrganizationMemberInput, UpdateOrganizationMemberRoleInput } from "./member.inputs.js";
import type { MemberRow } from "./member.service.js";
import { OrganizationMember, OrganizationMemberConnection } from "./member.type.js";

@Resolver(() => Organization)
export class MemberResolver {
  @FieldResolver(() => OrganizationMemberConnection, {
    description: "List Users: the organization's members, oldest member first. Anyone in the organization, its tokens included.",
  })
  async members(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMemberConnection> {
    const { members } = ctx.services;
    return new OrganizationMemberConnection(await members.list(organization, first, after), () => members.count(organization));
  }

  @Mutation(() => OrganizationMember, { description: "Adds an existing user to the organization. Organization admins only." })
  async addOrganizationMember(
    @Arg("input", () => AddOrganizationMemberInput, { description: "The organization, the user and their role." })
    input: AddOrganizationMemberInput,
    @Ctx() ctx: Context,
  ): Promise<MemberRow> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return ctx.services.members.add(ctx.caller, organization, input);
  }

  @Mutation(() => Boolean, {
    description:
      "Removes a member; also removes them from every team of the organization and ends their ADMIN on the stacks they created. The last admin cannot be removed (CONFLICT). Organization admins only.",
  })
  async removeOrganizationMember(
    @Arg("input", () => RemoveOrganizationMemberInput, { description: "The organization and the member." })
    input: RemoveOrganizationMemberInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const removed = await ctx.services.members.remove(ctx.caller, organization, input);
    return removed;
  }

  @Mutation(() => OrganizationMember, {
    description: "Changes a member's role; the last admin cannot be demoted (CONFLICT). Organization admins only.",
  })
  async updateOrganizationMemberRole(
    @Arg("input", () => UpdateOrganizationMemberRoleInput, { description: "The organization, the member and their new role." })
    input: UpdateOrganizationMemberRoleInput,
    @Ctx() ctx: Context,
  ): Promise<MemberRow> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const member = await ctx.services.members.updateRole(ctx.caller, organization, input);
    return member;
  }
}
