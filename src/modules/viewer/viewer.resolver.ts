import { Ctx, FieldResolver, Query, Resolver } from "type-graphql";
import type { ResolverContext as Context } from "../resolver-context.js";
import { UnauthenticatedError } from "../../errors.js";
import { toOrganizationAccessToken } from "../access-tokens/access-token.mappers.js";
import { OrganizationMembership } from "../organizations/organization.type.js";
import type { MembershipRow } from "../organizations/organization.service.js";
import { Viewer } from "./viewer.type.js";

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: "Who the caller is: scripts use it to check a token." })
  viewer(@Ctx() ctx: Context): Viewer {
    const { principal } = ctx.caller;
    if (principal.kind === "USER") {
      return {
        kind: "USER",
        user: principal.user,
        organizationToken: null,
        tokenId: principal.token.id,
        tokenExpiresAt: principal.token.expiresAt,
      };
    }
    if (principal.kind === "ORGANIZATION_TOKEN") {
      return {
        kind: "ORGANIZATION_TOKEN",
        user: null,
        organizationToken: toOrganizationAccessToken(principal.token),
        tokenId: principal.token.id,
        tokenExpiresAt: principal.token.expiresAt,
      };
    }
    throw new UnauthenticatedError();
  }

  @FieldResolver(() => [OrganizationMembership], {
    description: "Organizations the caller can act in: a user's memberships, or the token's one organization.",
  })
  async organizations(@Ctx() ctx: Context): Promise<(MembershipRow | { organization: MembershipRow["organization"]; role: null })[]> {
    const { principal } = ctx.caller;
    if (principal.kind === "USER") return await ctx.services.organizations.membershipsOf(principal.user);
    if (principal.kind === "ORGANIZATION_TOKEN") return [{ organization: principal.organization, role: null }];
    return [];
  }
}
