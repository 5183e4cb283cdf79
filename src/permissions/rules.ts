// The predicates of the permission map. Each returns true, or the error the caller gets:
// UNAUTHENTICATED without a token, FORBIDDEN outside the organization, and an
// AccessRefusal (FORBIDDEN + auth-failure audit event) inside it. Rules never write;
// they read the per-request Access memo, so evaluating one twice costs a Map lookup.
import type { GraphQLResolveInfo } from "graphql";
import { type IRule, rule } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import { ForbiddenError, UnauthenticatedError } from "../errors.js";
import type { OrganizationAccess } from "./access.js";
import { AccessRefusal, notInOrganization } from "./refusal.js";

/** Where a rule finds the organization an operation is about. */
export interface OrganizationSelector {
  readonly label: string;
  readonly pick: (parent: any, args: any) => string | undefined;
}

export const ORGANIZATION_IN_INPUT: OrganizationSelector = {
  label: "input.organization",
  pick: (_parent, args) => args.input?.organization,
};
export const ORGANIZATION_ARGUMENT: OrganizationSelector = {
  label: "organization",
  pick: (_parent, args) => args.organization,
};
/** The Organization object whose field is resolved. */
export const PARENT_ORGANIZATION: OrganizationSelector = {
  label: "parent",
  pick: (parent) => parent?.name,
};

const operationName = (info: GraphQLResolveInfo) => `${info.parentType.name}.${info.fieldName}`;

export const isAuthenticated = rule("isAuthenticated", { cache: "contextual" })(
  (_parent, _args, ctx: Context) => ctx.caller.principal.kind !== "ANONYMOUS" || new UnauthenticatedError(),
);

export const isUser = rule("isUser", { cache: "contextual" })((_parent, _args, ctx: Context) => {
  const { kind } = ctx.caller.principal;
  if (kind === "USER") return true;
  if (kind === "ANONYMOUS") return new UnauthenticatedError();
  return new ForbiddenError("only a user may do this: use a personal access token");
});

export const isSiteAdmin = rule("isSiteAdmin", { cache: "contextual" })((_parent, _args, ctx: Context) => {
  const { principal } = ctx.caller;
  if (principal.kind === "ANONYMOUS") return new UnauthenticatedError();
  if (principal.kind === "USER" && principal.user.isSiteAdmin) return true;
  return new ForbiddenError("only a site administrator may do this");
});

type OrganizationTest = (access: OrganizationAccess) => boolean;

const organizationRules = new Map<string, IRule>();

/** A rule about the caller's standing in one organization; built once per (name, selector). */
function organizationRule(name: string, requirement: string, test: OrganizationTest) {
  return (selector: OrganizationSelector): IRule => {
    const ruleName = `${name}(${selector.label})`;
    let built = organizationRules.get(ruleName);
    if (!built) {
      built = rule(ruleName)((parent, args, ctx: Context, info: GraphQLResolveInfo) => {
        if (ctx.caller.principal.kind === "ANONYMOUS") return new UnauthenticatedError();
        const organizationName = selector.pick(parent, args);
        const access = ctx.access.organization(organizationName);
        if (!access.organization) return notInOrganization(organizationName);
        if (test(access)) return true;
        const operation = operationName(info);
        return new AccessRefusal(`${operation} requires ${requirement} in organization "${access.organization.name}"`, {
          organizationId: access.organization.id,
          event: "auth-failure-organization-role",
          description: `Refused ${operation}: it requires ${requirement}`,
          authFailure: true,
        });
      });
      organizationRules.set(ruleName, built);
    }
    return built;
  };
}

/** A user with the ADMIN role in the organization. */
export const isOrgAdmin = organizationRule("isOrgAdmin", "the ADMIN role", (a) => a.role === "ADMIN");

/** A user with any role in the organization (ADMIN, MEMBER or BILLING_MANAGER). */
export const isOrgMember = organizationRule("isOrgMember", "membership", (a) => a.role !== null);

/** An access token of the organization itself. */
export const isOrgToken = organizationRule("isOrgToken", "an organization access token", (a) => a.isOwnToken);

/** Anyone the organization holds: a member of any role, or one of its tokens. */
export const isInOrganization = organizationRule(
  "isInOrganization",
  "membership",
  (a) => a.role !== null || a.isOwnToken,
);
