// What the caller can reach, looked up once per request and memoised: the rules of the
// permission map and the resolvers read the same answers.
import type { OrganizationRow, StackRow, UpdateRow } from "../db/rows.js";
import { and, eq, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.js";
import type { Db } from "../db/client.js";
import {
  membershipsTable,
  organizationsTable,
  type OrganizationRoleValue,
  stacksTable,
  type StackPermissionValue,
  stackUpdatesTable,
} from "../db/schema.js";
import { NotFoundError } from "../errors.js";
import { quote } from "../lib/validation.js";
import { notInOrganization } from "./refusal.js";
import {
  atLeast,
  highest,
  type PermissionSource,
  permissionOn,
  permissionSources,
  type Standing,
  teamGrantsOfUser,
} from "./stack-permission.js";

/** A stack as the caller sees it: with its organization and the caller's permission on it. */
export interface StackNode extends StackRow {
  readonly organization: OrganizationRow;
  readonly viewerPermission: StackPermissionValue;
  /** Reached through a list (Organization.stacks, TeamStackGrant.stack): its state is not served there. */
  readonly listed?: boolean;
}

export interface StackAccess {
  readonly organization: OrganizationAccess;
  /** Null when it does not exist or the caller cannot READ it: the two look the same. */
  readonly stack: StackNode | null;
}

export interface UpdateAccess {
  /** Null when it does not exist or the caller cannot READ its stack. */
  readonly update: UpdateRow | null;
  readonly stack: StackAccess;
}

export interface OrganizationAccess {
  /** Null when it does not exist or the caller is not in it: the two look the same. */
  readonly organization: OrganizationRow | null;
  /** The calling user's role; null for an organization token. */
  readonly role: OrganizationRoleValue | null;
  /** The caller is an access token of this organization. */
  readonly isOwnToken: boolean;
}

const OUTSIDE: OrganizationAccess = Object.freeze({ organization: null, role: null, isOwnToken: false });

/** Prepared once per server. */
export class AccessQueries {
  readonly organizationWithRole;
  readonly stackByName;
  readonly updateById;
  readonly teamGrantsOfUser;

  constructor(db: Db) {
    this.stackByName = db
      .select()
      .from(stacksTable)
      .where(
        and(
          eq(stacksTable.organizationId, sql.placeholder("organizationId")),
          eq(stacksTable.project, sql.placeholder("project")),
          eq(stacksTable.name, sql.placeholder("name")),
        ),
      )
      .prepare();
    this.updateById = db
      .select({ update: stackUpdatesTable, stack: stacksTable, organizationName: organizationsTable.name })
      .from(stackUpdatesTable)
      .innerJoin(stacksTable, eq(stacksTable.id, stackUpdatesTable.stackId))
      .innerJoin(organizationsTable, eq(organizationsTable.id, stacksTable.organizationId))
      .where(eq(stackUpdatesTable.id, sql.placeholder("id")))
      .prepare();
    // Every stack grant of every team the user is in, within one organization.
    this.teamGrantsOfUser = teamGrantsOfUser(db, sql.placeholder("userId"), sql.placeholder("organizationId")).prepare();
    this.organizationWithRole = db
      .select({ organization: organizationsTable, role: membershipsTable.role })
      .from(organizationsTable)
      .leftJoin(
        membershipsTable,
        and(eq(membershipsTable.organizationId, organizationsTable.id), eq(membershipsTable.userId, sql.placeholder("userId"))),
      )
      .where(eq(sql`lower(${organizationsTable.name})`, sql`lower(${sql.placeholder("name")})`))
      .prepare();
  }
}

/** Per request. */
export class Access {
  private readonly organizations = new Map<string, OrganizationAccess>();
  private readonly teamGrants = new Map<string, Map<string, StackPermissionValue>>();
  private readonly stacks = new Map<string, StackAccess>();
  private readonly updates = new Map<string, UpdateAccess>();
  /** Per OrganizationAccess (a fresh one after forget()): a list asks once, not once per row. */
  private readonly sources = new WeakMap<OrganizationAccess, readonly PermissionSource[]>();

  constructor(
    private readonly queries: AccessQueries,
    private readonly principal: Principal,
  ) {}

  organization(name: string | undefined): OrganizationAccess {
    if (name === undefined || name === "") return OUTSIDE;
    const key = name.toLowerCase();
    let access = this.organizations.get(key);
    if (!access) {
      access = this.lookUp(name);
      this.organizations.set(key, access);
    }
    return access;
  }

  /** The organization named, for a resolver the permission map already admitted. */
  requireOrganization(name: string): OrganizationRow {
    const { organization } = this.organization(name);
    if (!organization) throw notInOrganization(name);
    return organization;
  }

  /** Drops memoised answers after a mutation changed memberships, grants or stacks. */
  forget(): void {
    this.organizations.clear();
    this.teamGrants.clear();
    this.stacks.clear();
    this.updates.clear();
  }

  /** The highest team grant per stack for `userId` (the calling user: the only one its sources name) in `organizationId`. */
  private teamGrantsIn(userId: string, organizationId: string): Map<string, StackPermissionValue> {
    let grants = this.teamGrants.get(organizationId);
    if (!grants) {
      grants = new Map();
      for (const { stackId, permission } of this.queries.teamGrantsOfUser.all({ userId, organizationId })) {
        grants.set(stackId, highest(grants.get(stackId) ?? "NONE", permission));
      }
      this.teamGrants.set(organizationId, grants);
    }
    return grants;
  }

  /** The caller's standing in an organization it is in (src/permissions/stack-permission.ts). */
  standing(access: OrganizationAccess): Standing | null {
    if (!access.organization) return null;
    return {
      organizationId: access.organization.id,
      userId: this.principal.kind === "USER" ? this.principal.user.id : null,
      role: access.role,
      isOwnToken: access.isOwnToken,
      defaultStackPermission: access.organization.defaultStackPermission,
    };
  }

  /** The caller's effective permission on a stack of an organization it is in. */
  stackPermission(access: OrganizationAccess, stack: StackRow): StackPermissionValue {
    if (!access.organization || access.organization.id !== stack.organizationId) return "NONE";
    let sources = this.sources.get(access);
    if (!sources) this.sources.set(access, (sources = permissionSources(this.standing(access)!)));
    return permissionOn(sources, {
      createdByUserId: stack.createdByUserId,
      teamGrant: (userId) => this.teamGrantsIn(userId, stack.organizationId).get(stack.id) ?? "NONE",
    });
  }

  /** The stack as the caller sees it, or null when it cannot READ it. */
  toStackNode(access: OrganizationAccess, stack: StackRow, listed = false): StackNode | null {
    const viewerPermission = this.stackPermission(access, stack);
    if (!access.organization || !atLeast(viewerPermission, "READ")) return null;
    // the row is a fresh object of this request: completed in place rather than copied
    return Object.assign(stack, { organization: access.organization, viewerPermission, listed });
  }

  stack(organizationName: string | undefined, project: string | undefined, name: string | undefined): StackAccess {
    const organization = this.organization(organizationName);
    if (!organization.organization || project === undefined || name === undefined) return { organization, stack: null };
    const key = `${organization.organization.id}\n${project}\n${name}`;
    let access = this.stacks.get(key);
    if (!access) {
      const row = this.queries.stackByName.get({ organizationId: organization.organization.id, project, name });
      access = { organization, stack: row ? this.toStackNode(organization, row) : null };
      this.stacks.set(key, access);
    }
    return access;
  }

  /** The stack named, for a resolver the permission map already admitted. */
  requireStack(ref: { organization: string; project: string; stack: string }): StackNode {
    const { organization, stack } = this.stack(ref.organization, ref.project, ref.stack);
    if (!organization.organization) throw notInOrganization(ref.organization);
    if (!stack) throw new NotFoundError(`stack ${quote(`${ref.organization}/${ref.project}/${ref.stack}`)} not found`);
    return stack;
  }

  update(id: string | undefined): UpdateAccess {
    const hidden: UpdateAccess = { update: null, stack: { organization: OUTSIDE, stack: null } };
    if (id === undefined) return hidden;
    let access = this.updates.get(id);
    if (!access) {
      const row = this.queries.updateById.get({ id });
      if (!row) {
        access = hidden;
      } else {
        const organization = this.organization(row.organizationName);
        const stack = organization.organization ? this.toStackNode(organization, row.stack) : null;
        access = { update: stack ? row.update : null, stack: { organization, stack } };
      }
      this.updates.set(id, access);
    }
    return access;
  }

  private lookUp(name: string): OrganizationAccess {
    const { principal } = this;
    if (principal.kind === "ORGANIZATION_TOKEN") {
      const own = principal.organization;
      return own.name.toLowerCase() === name.toLowerCase() ? { organization: own, role: null, isOwnToken: true } : OUTSIDE;
    }
    if (principal.kind !== "USER") return OUTSIDE;
    const row = this.queries.organizationWithRole.get({ name, userId: principal.user.id });
    if (!row?.role) return OUTSIDE;
    return { organization: row.organization, role: row.role, isOwnToken: false };
  }
}
