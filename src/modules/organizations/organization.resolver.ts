import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { OrganizationRoleValue } from "../../db/schema.js";
import type { ResolverContext as Context } from "../resolver-context.js";
import { OrganizationRole } from "../../graphql/enums.js";
import { CreateOrganizationInput, SetSubscriptionInput, UpdateOrganizationSettingsInput } from "./organization.inputs.js";
import { Organization, OrganizationSubscription } from "./organization.type.js";
import { isEntitled } from "../../permissions/entitlements.js";

@Resolver(() => Organization)
export class OrganizationResolver {
  @Query(() => Organization, {
    nullable: true,
    description: "Null when it does not exist or the caller is not in it: the two are not told apart.",
  })
  async organization(
    @Arg("name", () => String, { description: "The organization's name (any letter case)." }) name: string,
    @Ctx() ctx: Context,
  ): Promise<OrganizationRow | null> {
    return (await ctx.access.organization(name)).organization;
  }

  @Mutation(() => Organization, {
    description:
      "The caller becomes its ADMIN; it starts on the TEAM tier. Users only, each up to MAX_ORGANIZATIONS_PER_USER organizations they created and still belong to (site admins: no limit); CONFLICT when the name is taken.",
  })
  async createOrganization(
    @Arg("input", () => CreateOrganizationInput, { description: "The new organization's name and display name." })
    input: CreateOrganizationInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationRow> {
    const organization = await ctx.services.organizations.create(ctx.caller, input);
    return organization;
  }

  @Mutation(() => Organization, {
    description: "Changes the display name and the default stack permission (each when given). Organization admins only.",
  })
  async updateOrganizationSettings(
    @Arg("input", () => UpdateOrganizationSettingsInput, { description: "The organization and the settings to change." })
    input: UpdateOrganizationSettingsInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationRow> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return ctx.services.organizations.updateSettings(ctx.caller, organization, input);
  }

  @Mutation(() => Organization, {
    description: "Sets an organization's tier and trial end. Site administrators only; NOT_FOUND for an unknown organization.",
  })
  async setOrganizationSubscription(
    @Arg("input", () => SetSubscriptionInput, { description: "The organization, its tier and trial end." }) input: SetSubscriptionInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationRow> {
    const organization = await ctx.services.organizations.setSubscription(ctx.caller, input);
    return organization;
  }

  @FieldResolver(() => OrganizationSubscription, { description: "The organization's subscription: its tier and trial." })
  subscription(@Root() organization: OrganizationRow): OrganizationSubscription {
    return {
      tier: organization.tier,
      isTrial: organization.trialEndsAt !== null,
      trialEndsAt: organization.trialEndsAt,
      organizationAccessTokensEnabled: isEntitled(organization),
    };
  }

  @FieldResolver(() => OrganizationRole, {
    nullable: true,
    description: "The caller's role; null for an organization access token.",
  })
  async viewerRole(@Root() organization: OrganizationRow, @Ctx() ctx: Context): Promise<OrganizationRoleValue | null> {
    return (await ctx.access.organization(organization.name)).role;
  }
}
