import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { OrganizationRow, UserRow } from "../../auth/principal.js";
import type { Context } from "../../graphql/context.js";
import { Organization } from "../organizations/organization.type.js";
import { User } from "../users/user.type.js";
import { CreateOrganizationAccessTokenInput, CreatePersonalAccessTokenInput } from "./access-token.inputs.js";
import { toOrganizationAccessToken, toPersonalAccessToken } from "./access-token.mappers.js";
import {
  CreateOrganizationAccessTokenPayload,
  CreatePersonalAccessTokenPayload,
  OrganizationAccessToken,
  PersonalAccessToken,
} from "./access-token.type.js";

@Resolver()
export class PersonalAccessTokenResolver {
  @Query(() => [PersonalAccessToken], { description: "List User Access Tokens: the calling user's personal access tokens." })
  personalAccessTokens(@Ctx() ctx: Context): PersonalAccessToken[] {
    return ctx.services.tokens.listPersonal(ctx.caller).map(toPersonalAccessToken);
  }

  @Mutation(() => CreatePersonalAccessTokenPayload)
  createPersonalAccessToken(
    @Arg("input", () => CreatePersonalAccessTokenInput) input: CreatePersonalAccessTokenInput,
    @Ctx() ctx: Context,
  ): CreatePersonalAccessTokenPayload {
    const { row, secret } = ctx.services.tokens.createPersonal(ctx.caller, input);
    return { token: toPersonalAccessToken(row), secret };
  }

  @Mutation(() => Boolean, { description: "Revokes the token at once; NOT_FOUND when it is not one of yours." })
  deletePersonalAccessToken(@Arg("id", () => ID) id: string, @Ctx() ctx: Context): boolean {
    return ctx.services.tokens.deletePersonal(ctx.caller, id);
  }
}

@Resolver(() => OrganizationAccessToken)
export class OrganizationAccessTokenResolver {
  @Mutation(() => CreateOrganizationAccessTokenPayload, {
    description: "Organization admins only, on the ENTERPRISE_GROWTH or BUSINESS_CRITICAL subscription.",
  })
  createOrganizationAccessToken(
    @Arg("input", () => CreateOrganizationAccessTokenInput) input: CreateOrganizationAccessTokenInput,
    @Ctx() ctx: Context,
  ): CreateOrganizationAccessTokenPayload {
    const organization = ctx.access.requireOrganization(input.organization);
    const { row, secret } = ctx.services.tokens.createForOrganization(ctx.caller, organization, input);
    return { token: toOrganizationAccessToken(row), secret };
  }

  @Mutation(() => Boolean, { description: "Revokes the token at once. Its name stays reserved." })
  deleteOrganizationAccessToken(
    @Arg("organization", () => String) organizationName: string,
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: Context,
  ): boolean {
    const organization = ctx.access.requireOrganization(organizationName);
    return ctx.services.tokens.deleteForOrganization(ctx.caller, organization, id);
  }

  @FieldResolver(() => Organization)
  async organization(@Root() token: OrganizationAccessToken, @Ctx() ctx: Context): Promise<OrganizationRow> {
    const organization = await ctx.loaders.organizationById.load(token.organizationId);
    if (!organization) throw new Error(`organization ${token.organizationId} of token ${token.id} is missing`);
    return organization;
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: "The admin who created it; the token belongs to the organization, not to this user.",
  })
  async createdBy(@Root() token: OrganizationAccessToken, @Ctx() ctx: Context): Promise<UserRow | null> {
    return token.createdByUserId ? ((await ctx.loaders.userById.load(token.createdByUserId)) ?? null) : null;
  }
}

@Resolver(() => Organization)
export class OrganizationTokensResolver {
  @FieldResolver(() => [OrganizationAccessToken], {
    nullable: true,
    description:
      "Organization access tokens, deleted ones included on request. Organization admins (users) only; null with a FORBIDDEN error for others.",
  })
  accessTokens(
    @Root() organization: OrganizationRow,
    @Arg("includeDeleted", () => Boolean, { nullable: true, defaultValue: false }) includeDeleted: boolean | null,
    @Ctx() ctx: Context,
  ): OrganizationAccessToken[] {
    return ctx.services.tokens.listForOrganization(organization, includeDeleted ?? false).map(toOrganizationAccessToken);
  }
}
