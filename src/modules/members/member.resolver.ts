import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { Organization } from "../organizations/organization.type.js";
import { AddOrganizationMemberInput, RemoveOrganizationMemberInput, UpdateOrganizationMemberRoleInput } from "./member.inputs.js";
import type { MemberRow } from "./member.service.js";
import { OrganizationMember, OrganizationMemberConnection } from "./member.type.js";

@Resolver(() => Organization)
export class MemberResolver {
  @FieldResolver(() => OrganizationMemberConnection, { description: "List Users. Oldest member first." })
  members(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50 }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): OrganizationMemberConnection {
    const { members } = ctx.services;
    return new OrganizationMemberConnection(members.list(organization, first, after), () => members.count(organization));
  }

  @Mutation(() => OrganizationMember)
  addOrganizationMember(@Arg("input", () => AddOrganizationMemberInput) input: AddOrganizationMemberInput, @Ctx() ctx: Context): MemberRow {
    const organization = ctx.access.requireOrganization(input.organization);
    return ctx.services.members.add(ctx.caller, organization, input);
  }

  @Mutation(() => Boolean, { description: "Also removes the user from every team of the organization." })
  removeOrganizationMember(
    @Arg("input", () => RemoveOrganizationMemberInput) input: RemoveOrganizationMemberInput,
    @Ctx() ctx: Context,
  ): boolean {
    const organization = ctx.access.requireOrganization(input.organization);
    const removed = ctx.services.members.remove(ctx.caller, organization, input);
    return removed;
  }

  @Mutation(() => OrganizationMember, { description: "The last admin cannot be demoted." })
  updateOrganizationMemberRole(
    @Arg("input", () => UpdateOrganizationMemberRoleInput) input: UpdateOrganizationMemberRoleInput,
    @Ctx() ctx: Context,
  ): MemberRow {
    const organization = ctx.access.requireOrganization(input.organization);
    const member = ctx.services.members.updateRole(ctx.caller, organization, input);
    return member;
  }
}
