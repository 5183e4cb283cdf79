// The predicates of the permission map. Each returns true, or the error the caller gets:
// UNAUTHENTICATED without a token, FORBIDDEN outside the organization, and an
// AccessRefusal (FORBIDDEN + auth-failure audit event) inside it. Rules never write;
// they read the per-request Access memo, so evaluating one twice costs a Map lookup.
import type { GraphQLResolveInfo } from "graphql";
import { type IRule, rule } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import type { StackPermissionValue } from "../db/schema.js";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../errors.js";
import type { OrganizationAccess, StackAccess, StackNode } from "./access.js";
import { AccessRefusal, notInOrganization } from "./refusal.js";
import { atLeast } from "./stack-permission.js";
import { quote } from "../lib/validation.js";

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
export const isInOrganization = organizationRule("isInOrganization", "membership", (a) => a.role !== null || a.isOwnToken);

/** A user who may create stacks there (ADMIN or MEMBER), or one of its tokens. */
export const canCreateStacks = organizationRule(
  "canCreateStacks",
  "the ADMIN or MEMBER role",
  (a) => a.role === "ADMIN" || a.role === "MEMBER" || a.isOwnToken,
);

// ---------------------------------------------------------------- stacks

/** Where a rule finds the stack an operation is about. */
export interface StackSelector {
  readonly label: string;
  readonly find: (ctx: Context, parent: any, args: any) => StackAccess;
  /** organization/project/stack as the caller named it, for messages. */
  readonly describe: (parent: any, args: any) => string;
}

/** The StackRef `input.stack` of a mutation. */
export const STACK_IN_INPUT: StackSelector = {
  label: "input.stack",
  find: (ctx, _parent, args) => {
    const ref = args.input?.stack ?? {};
    return ctx.access.stack(ref.organization, ref.project, ref.stack);
  },
  describe: (_parent, args) => {
    const ref = args.input?.stack ?? {};
    return `stack ${quote(`${ref.organization}/${ref.project}/${ref.stack}`)}`;
  },
};

/** The stack of the update `input.updateId` (or the `updateId` argument). */
export const STACK_OF_UPDATE: StackSelector = {
  label: "updateId",
  find: (ctx, _parent, args) => ctx.access.update(args.input?.updateId ?? args.updateId).stack,
  describe: (_parent, args) => `update ${quote(String(args.input?.updateId ?? args.updateId ?? ""))}`,
};

/** The destination of transferStack. */
export const DESTINATION_ORGANIZATION: OrganizationSelector = {
  label: "input.destinationOrganization",
  pick: (_parent, args) => args.input?.destinationOrganization,
};

/** The organization named in `input.stack`, for organization rules on stack mutations. */
export const ORGANIZATION_OF_STACK_IN_INPUT: OrganizationSelector = {
  label: "input.stack.organization",
  pick: (_parent, args) => args.input?.stack?.organization,
};

type RequiredPermission = StackPermissionValue | ((ctx: Context, parent: any, args: any) => StackPermissionValue);

const stackRules = new Map<string, IRule>();

function stackRule(name: string, required: RequiredPermission) {
  return (selector: StackSelector): IRule => {
    const ruleName = `${name}(${selector.label})`;
    let built = stackRules.get(ruleName);
    if (!built) {
      built = rule(ruleName)((parent, args, ctx: Context, info: GraphQLResolveInfo) => {
        if (ctx.caller.principal.kind === "ANONYMOUS") return new UnauthenticatedError();
        const { organization, stack } = selector.find(ctx, parent, args);
        if (!organization.organization) {
          // a stack ref names its organization: outsiders get FORBIDDEN; an update id names nothing
          return selector === STACK_OF_UPDATE
            ? new NotFoundError(`${selector.describe(parent, args)} not found`)
            : notInOrganization(args.input?.stack?.organization);
        }
        if (!stack) return new NotFoundError(`${selector.describe(parent, args)} not found`);
        const needed = typeof required === "function" ? required(ctx, parent, args) : required;
        if (atLeast(stack.viewerPermission, needed)) return true;
        const operation = operationName(info);
        const fullName = `${organization.organization.name}/${stack.project}/${stack.name}`;
        return new AccessRefusal(`${operation} requires ${needed} permission on stack "${fullName}"; you have ${stack.viewerPermission}`, {
          organizationId: organization.organization.id,
          event: "auth-failure-stack-permission",
          description: `Refused ${operation} on stack "${fullName}": it requires ${needed} permission`,
          authFailure: true,
          requireStackAdmin: needed === "ADMIN",
        });
      });
      stackRules.set(ruleName, built);
    }
    return built;
  };
}

export const canReadStack = stackRule("canReadStack", "READ");
export const canWriteStack = stackRule("canWriteStack", "WRITE");
export const canAdminStack = stackRule("canAdminStack", "ADMIN");

/** PREVIEW needs READ; every other kind of update needs WRITE (input.kind). */
export const canStartUpdateOfKind = stackRule("canStartUpdateOfKind", (_ctx, _parent, args) =>
  args.input?.kind === "PREVIEW" ? "READ" : "WRITE",
);

/** Acting on a running update: READ for a preview, WRITE for any other kind. */
export const canRunUpdate = stackRule("canRunUpdate", (ctx, _parent, args) =>
  ctx.access.update(args.input?.updateId ?? args.updateId).update?.isPreview ? "READ" : "WRITE",
);

/** Fields of a Stack object: the object carries the caller's permission on it. */
export const canReadParentStack = rule("canReadParentStack", { cache: "no_cache" })(
  (parent: StackNode) => atLeast(parent.viewerPermission, "READ") || new NotFoundError("stack not found"),
);

/** Fields of a StackUpdate object: it carries its stack, with the caller's permission on it. */
export const canReadParentUpdate = rule("canReadParentUpdate", { cache: "no_cache" })(
  (parent: { stack: StackNode }) => atLeast(parent.stack.viewerPermission, "READ") || new NotFoundError("update not found"),
);
