import type { OrganizationRow, UserRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { Organization } from "../organizations/organization.type.js";
import { User } from "../users/user.type.js";
import {
  CreateOrganizationAccessTokenInput,
  CreatePersonalAccessTokenInput,
  RevokeOrganizationAccessTokenInput,
  RevokePersonalAccessTokenInput,
} from "./access-token.inputs.js";
import { toOrganizationAccessToken, toPersonalAccessToken } from "./access-token.mappers.js";
import {
  CreateOrganizationAccessTokenPayload,
  CreatePersonalAccessTokenPayload,
  OrganizationAccessToken,
  OrganizationAccessTokenConnection,
  PersonalAccessToken,
  PersonalAccessTokenConnection,
} from "./access-token.type.js";

const INCLUDE_DELETED = { nullable: true, defaultValue: false, description: "Also list revoked tokens (deletedAt set)." } as const;

@Resolver()
export class PersonalAccessTokenResolver {
  @Query(() => [PersonalAccessToken], { description: "List User Access Tokens: the calling user's personal access tokens, oldest first." })
  async personalAccessTokens(
    @Arg("includeDeleted", () => Boolean, INCLUDE_DELETED) includeDeleted: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<PersonalAccessToken[]> {
    return (await ctx.services.tokenLists.listPersonal(ctx.caller, includeDeleted ?? false)).map(toPersonalAccessToken);
  }

  @Query(() => PersonalAccessTokenConnection, {
    description: "The calling user's personal access tokens, paged, oldest first (by creation time, then id).",
  })
  async personalAccessTokensConnection(
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Arg("includeDeleted", () => Boolean, INCLUDE_DELETED) includeDeleted: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<PersonalAccessTokenConnection> {
    const { page, count } = await ctx.services.tokenLists.personalPage(ctx.caller, includeDeleted ?? false, first, after);
    return new PersonalAccessTokenConnection({ ...page, nodes: page.nodes.map(toPersonalAccessToken) }, count);
  }

  @Mutation(() => CreatePersonalAccessTokenPayload, {
    description:
      "Issues a personal access token to the calling user (users only; at most 100 unrevoked tokens each). The secret is shown once.",
  })
  async createPersonalAccessToken(
    @Arg("input", () => CreatePersonalAccessTokenInput, { description: "What the token is for, and when it expires." })
    input: CreatePersonalAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<CreatePersonalAccessTokenPayload> {
    const { row, secret } = await ctx.services.tokens.createPersonal(ctx.caller, input);
    return { token: toPersonalAccessToken(row), secret };
  }

  @Mutation(() => Boolean, {
    description: "Revokes the token at once; NOT_FOUND when it is not one of yours (or already revoked).",
    deprecationReason: "Use revokePersonalAccessToken, which takes an input object and is safe to retry.",
  })
  deletePersonalAccessToken(
    @Arg("id", () => ID, { description: "The token's id (a UUID)." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.tokens.deletePersonal(ctx.caller, id);
  }

  @Mutation(() => PersonalAccessToken, {
    description:
      "Revokes one of your personal access tokens at once and returns it (deletedAt set). Revoking it again returns it unchanged; NOT_FOUND when it is not one of yours.",
  })
  async revokePersonalAccessToken(
    @Arg("input", () => RevokePersonalAccessTokenInput, { description: "The token to revoke." }) input: RevokePersonalAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<PersonalAccessToken> {
    return toPersonalAccessToken(await ctx.services.tokens.revokePersonal(ctx.caller, input.id));
  }
}

@Resolver(() => OrganizationAccessToken)
export class OrganizationAccessTokenResolver {
  @Mutation(() => CreateOrganizationAccessTokenPayload, {
    description:
      "Organization admins only, on the ENTERPRISE_GROWTH or BUSINESS_CRITICAL subscription (paid, or a trial not yet ended); at most 500 unrevoked tokens per organization. CONFLICT when the name is or was in use. The secret is shown once.",
  })
  async createOrganizationAccessToken(
    @Arg("input", () => CreateOrganizationAccessTokenInput, {
      description: "The organization, and the token's name, description and expiry.",
    })
    input: CreateOrganizationAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<CreateOrganizationAccessTokenPayload> {
    const organization = await ctx.access.requireOrganization(input.organization);
    const { row, secret } = await ctx.services.tokens.createForOrganization(ctx.caller, organization, input);
    return { token: toOrganizationAccessToken(row), secret };
  }

  @Mutation(() => Boolean, {
    description:
      "Revokes the token at once; its name stays reserved. NOT_FOUND when there is no such token or it is already revoked. Organization admins only.",
    deprecationReason: "Use revokeOrganizationAccessToken, which takes an input object and is safe to retry.",
  })
  async deleteOrganizationAccessToken(
    @Arg("organization", () => String, { description: "The organization's name (any letter case)." }) organizationName: string,
    @Arg("id", () => ID, { description: "The token's id (a UUID)." }) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const organization = await ctx.access.requireOrganization(organizationName);
    return ctx.services.tokens.deleteForOrganization(ctx.caller, organization, id);
  }

  @Mutation(() => OrganizationAccessToken, {
    description:
      "Revokes an organization access token at once and returns it (deletedAt set); its name stays reserved. Revoking it again returns it unchanged. Organization admins only.",
  })
  async revokeOrganizationAccessToken(
    @Arg("input", () => RevokeOrganizationAccessTokenInput, { description: "The organization and the token to revoke." })
    input: RevokeOrganizationAccessTokenInput,
    @Ctx() ctx: Context,
  ): Promise<OrganizationAccessToken> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return toOrganizationAccessToken(await ctx.services.tokens.revokeForOrganization(ctx.caller, organization, input.id));
  }

  @FieldResolver(() => Organization, { description: "The organization the token belongs to and acts in." })
  async organization(@Root() token: OrganizationAccessToken, @Ctx() ctx: Context): Promise<OrganizationRow> {
    const organization = await ctx.loaders.of("organizationById").load(token.organizationId);
    if (!organization) throw new Error(`organization ${token.organizationId} of token ${token.id} is missing`);
    return organization;
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: "The admin who created it; the token belongs to the organization, not to this user.",
  })
  async createdBy(@Root() token: OrganizationAccessToken, @Ctx() ctx: Context): Promise<UserRow | null> {
    return token.createdByUserId ? ((await ctx.loaders.of("userById").load(token.createdByUserId)) ?? null) : null;
  }
}

@Resolver(() => Organization)
export class OrganizationTokensResolver {
  @FieldResolver(() => [OrganizationAccessToken], {
    nullable: true,
    description:
      "Organization access tokens, oldest first, deleted ones included on request. Organization admins (users) only; null with a FORBIDDEN error for others.",
    deprecationReason: "Use accessTokensConnection: paged, and non-null for the admins who may read it.",
  })
  async accessTokens(
    @Root() organization: OrganizationRow,
    @Arg("includeDeleted", () => Boolean, INCLUDE_DELETED) includeDeleted: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<OrganizationAccessToken[]> {
    return (await ctx.services.tokens.listForOrganization(organization, includeDeleted ?? false)).map(toOrganizationAccessToken);
  }

  @FieldResolver(() => OrganizationAccessTokenConnection, {
    description:
      "Organization access tokens, paged, by name ignoring case; revoked ones on request. Organization admins (users) only: for anyone else it is a FORBIDDEN error (and, being non-null, the organization is null).",
  })
  async accessTokensConnection(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Arg("includeDeleted", () => Boolean, INCLUDE_DELETED) includeDeleted: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<OrganizationAccessTokenConnection> {
    const { page, count } = await ctx.services.tokenLists.organizationPage(organization, includeDeleted ?? false, first, after);
    return new OrganizationAccessTokenConnection({ ...page, nodes: page.nodes.map(toOrganizationAccessToken) }, count);
  }
}
