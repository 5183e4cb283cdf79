// The predicates of the permission map. Each returns true, or the error the caller gets:
// UNAUTHENTICATED without a token, FORBIDDEN outside the organization, and an
// AccessRefusal (FORBIDDEN + the facts of an auth-failure audit event) inside it. Rules
// never write; they await the per-request Access memo, so evaluating one twice costs a Map
// lookup (and the same promise).
import type { GraphQLResolveInfo } from "graphql";
import { type IRule, rule } from "graphql-shield";
import type { Caller } from "../auth/principal.js";
import type { StackPermissionValue } from "../db/schema.js";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../errors.js";
import { quote } from "../lib/validation.js";
import type { Access, OrganizationAccess, StackAccess, StackNode } from "./access.js";
import { isEntitled } from "./entitlements.js";
import { AccessRefusal, notInOrganization } from "./refusal.js";
import { atLeast } from "./stack-permission.js";

/** What a rule reads of a request (the GraphQL context has it, and so can any other transport). */
export interface RuleContext {
  readonly caller: Caller;
  /** What the caller can reach, memoised for the request. */
  readonly access: Access;
}

/**
 * The arguments rules read: the operations' `input` objects and the few bare arguments
 * (GraphQL has checked their types before any rule runs).
 */
export interface RuleArgs {
  readonly input?: {
    readonly organization?: string;
    readonly destinationOrganization?: string;
    readonly stack?: { readonly organization?: string; readonly project?: string; readonly stack?: string };
    readonly updateId?: string;
    readonly kind?: string;
  };
  readonly organization?: string;
  readonly updateId?: string;
}

type RuleBody = (parent: unknown, args: RuleArgs, ctx: RuleContext, info: GraphQLResolveInfo) => Promise<true | Error>;

const built = new Map<string, IRule>();

/**
 * A family of rules, one per selector (where the rule finds its organization or stack), each
 * built once and named `family(selector)`: the permission map names the same rule object
 * wherever it uses the same (family, selector).
 */
function ruleFamily<S extends { readonly label: string }>(family: string, body: (selector: S) => RuleBody): (selector: S) => IRule {
  return (selector) => {
    const name = `${family}(${selector.label})`;
    let made = built.get(name);
    if (!made) built.set(name, (made = rule(name)(body(selector))));
    return made;
  };
}

/** Where a rule finds the organization an operation is about. */
export interface OrganizationSelector {
  readonly label: string;
  readonly pick: (parent: unknown, args: RuleArgs) => string | undefined;
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
  pick: (parent) => (parent as { readonly name?: string } | undefined)?.name,
};

const operationName = (info: GraphQLResolveInfo) => `${info.parentType.name}.${info.fieldName}`;

export const isAuthenticated = rule("isAuthenticated", { cache: "contextual" })(
  (_parent, _args, ctx: RuleContext) => ctx.caller.principal.kind !== "ANONYMOUS" || new UnauthenticatedError(),
);

export const isUser = rule("isUser", { cache: "contextual" })((_parent, _args, ctx: RuleContext) => {
  const { kind } = ctx.caller.principal;
  if (kind === "USER") return true;
  if (kind === "ANONYMOUS") return new UnauthenticatedError();
  return new ForbiddenError("only a user may do this: use a personal access token");
});

export const isSiteAdmin = rule("isSiteAdmin", { cache: "contextual" })((_parent, _args, ctx: RuleContext) => {
  const { principal } = ctx.caller;
  if (principal.kind === "ANONYMOUS") return new UnauthenticatedError();
  if (principal.kind === "USER" && principal.user.isSiteAdmin) return true;
  return new ForbiddenError("only a site administrator may do this");
});

// ---------------------------------------------------------------- organizations

/** What an operation requires of the caller's standing in one organization. */
export interface OrganizationRequirement {
  /** For messages: "… requires the ADMIN role in organization …". */
  readonly requirement: string;
  readonly test: (access: OrganizationAccess) => boolean;
}

/**
 * true, or the error the caller gets for `operation` in the organization named. A plain
 * predicate: the permission map's organization rules are made of it, and a route outside
 * GraphQL (the audit export) asks it directly.
 */
export async function checkOrganization(
  ctx: RuleContext,
  organizationName: string | undefined,
  operation: string,
  { requirement, test }: OrganizationRequirement,
): Promise<true | Error> {
  if (ctx.caller.principal.kind === "ANONYMOUS") return new UnauthenticatedError();
  const access = await ctx.access.organization(organizationName);
  if (!access.organization) return notInOrganization(organizationName);
  if (test(access)) return true;
  return new AccessRefusal(`${operation} requires ${requirement} in organization "${access.organization.name}"`, {
    kind: "organization-role",
    organizationId: access.organization.id,
    operation,
    requirement,
  });
}

/** A rule about the caller's standing in one organization. */
const organizationRule = (family: string, requirement: OrganizationRequirement) =>
  ruleFamily<OrganizationSelector>(
    family,
    (selector) => (parent, args, ctx, info) => checkOrganization(ctx, selector.pick(parent, args), operationName(info), requirement),
  );

const ADMIN_ROLE: OrganizationRequirement = { requirement: "the ADMIN role", test: (a) => a.role === "ADMIN" };

/**
 * Reading and exporting the audit log: org admins and the organization's own tokens (seed
 * matrix). Organization.auditLogEvents(Connection), Organization.exportAuditLogEvents and
 * GET /api/orgs/{org}/auditlogs/export (src/http/audit-export-route.ts) all ask this.
 */
export const READS_AUDIT_LOG: OrganizationRequirement = {
  requirement: "the ADMIN role",
  test: (a) => a.role === "ADMIN" || a.isOwnToken,
};

/** A user with the ADMIN role in the organization. */
export const isOrgAdmin = organizationRule("isOrgAdmin", ADMIN_ROLE);

/** An access token of the organization itself. */
export const isOrgToken = organizationRule("isOrgToken", { requirement: "an organization access token", test: (a) => a.isOwnToken });

/** Anyone the organization holds: a member of any role, or one of its tokens. */
export const isInOrganization = organizationRule("isInOrganization", {
  requirement: "membership",
  test: (a) => a.role !== null || a.isOwnToken,
});

/** A user who may create stacks there (ADMIN or MEMBER), or one of its tokens. */
export const canCreateStacks = organizationRule("canCreateStacks", {
  requirement: "the ADMIN or MEMBER role",
  test: (a) => a.role === "ADMIN" || a.role === "MEMBER" || a.isOwnToken,
});

/** Org admins and the organization's tokens: READS_AUDIT_LOG. */
export const canReadAuditLog = organizationRule("canReadAuditLog", READS_AUDIT_LOG);

/** The organization's subscription includes organization access tokens (not audited: not a role refusal). */
export const hasOrgTokenSubscription = ruleFamily<OrganizationSelector>(
  "hasOrgTokenSubscription",
  (selector) => async (parent, args, ctx) => {
    const { organization } = await ctx.access.organization(selector.pick(parent, args));
    return (
      (organization !== null && isEntitled(organization)) ||
      new ForbiddenError("organization access tokens need the ENTERPRISE_GROWTH or BUSINESS_CRITICAL subscription")
    );
  },
);

// ---------------------------------------------------------------- stacks

/** Where a rule finds the stack an operation is about. */
export interface StackSelector {
  readonly label: string;
  readonly find: (ctx: RuleContext, parent: unknown, args: RuleArgs) => Promise<StackAccess>;
  /** organization/project/stack as the caller named it, for messages. */
  readonly describe: (parent: unknown, args: RuleArgs) => string;
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
  find: async (ctx, _parent, args) => (await ctx.access.update(args.input?.updateId ?? args.updateId)).stack,
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

type RequiredPermission =
  StackPermissionValue | ((ctx: RuleContext, parent: unknown, args: RuleArgs) => StackPermissionValue | Promise<StackPermissionValue>);

/** A rule about the caller's permission on one stack (src/permissions/stack-permission.ts). */
const stackRule = (family: string, required: RequiredPermission) =>
  ruleFamily<StackSelector>(family, (selector) => async (parent, args, ctx, info) => {
    if (ctx.caller.principal.kind === "ANONYMOUS") return new UnauthenticatedError();
    const { organization, stack } = await selector.find(ctx, parent, args);
    if (!organization.organization) {
      // a stack ref names its organization: outsiders get FORBIDDEN; an update id names nothing
      return selector === STACK_OF_UPDATE
        ? new NotFoundError(`${selector.describe(parent, args)} not found`)
        : notInOrganization(args.input?.stack?.organization);
    }
    if (!stack) return new NotFoundError(`${selector.describe(parent, args)} not found`);
    const needed = typeof required === "function" ? await required(ctx, parent, args) : required;
    if (atLeast(stack.viewerPermission, needed)) return true;
    const operation = operationName(info);
    const fullName = `${organization.organization.name}/${stack.project}/${stack.name}`;
    return new AccessRefusal(`${operation} requires ${needed} permission on stack "${fullName}"; you have ${stack.viewerPermission}`, {
      kind: "stack-permission",
      organizationId: organization.organization.id,
      operation,
      stack: fullName,
      required: needed,
    });
  });

export const canWriteStack = stackRule("canWriteStack", "WRITE");
export const canAdminStack = stackRule("canAdminStack", "ADMIN");

/** PREVIEW needs READ; every other kind of update needs WRITE (input.kind). */
export const canStartUpdateOfKind = stackRule("canStartUpdateOfKind", (_ctx, _parent, args) =>
  args.input?.kind === "PREVIEW" ? "READ" : "WRITE",
);

/** Acting on a running update: READ for a preview, WRITE for any other kind. */
export const canRunUpdate = stackRule("canRunUpdate", async (ctx, _parent, args) =>
  (await ctx.access.update(args.input?.updateId ?? args.updateId)).update?.isPreview ? "READ" : "WRITE",
);

/** Fields of a Stack object: the object carries the caller's permission on it. */
export const canReadParentStack = rule("canReadParentStack", { cache: "no_cache" })(
  (parent: StackNode) => atLeast(parent.viewerPermission, "READ") || new NotFoundError("stack not found"),
);

/** Fields of a StackUpdate object: it carries its stack, with the caller's permission on it. */
export const canReadParentUpdate = rule("canReadParentUpdate", { cache: "no_cache" })(
  (parent: { stack: StackNode }) => atLeast(parent.stack.viewerPermission, "READ") || new NotFoundError("update not found"),
);
