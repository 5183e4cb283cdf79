// What the caller can reach, looked up once per request and memoised: the rules of the
// permission map and the resolvers read the same answers (the same promises).
import type { OrganizationRow, StackRow, UpdateRow } from "../db/rows.js";
import { and, eq, sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.js";
import type { OrganizationRoleValue, StackPermissionValue } from "../db/schema.js";
import type { Store } from "../db/store.js";
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

/** The reads behind Access (one instance per server). */
export class AccessQueries {
  constructor(private readonly store: Store) {}

  async stackByName(organizationId: string, project: string, name: string): Promise<StackRow | undefined> {
    const { stacksTable: s } = this.store.tables;
    const [row] = await this.store.db
      .select()
      .from(s)
      .where(and(eq(s.organizationId, organizationId), eq(s.project, project), eq(s.name, name)))
      .limit(1);
    return row;
  }

  async updateById(id: string) {
    const { stackUpdatesTable: u, stacksTable: s, organizationsTable: o } = this.store.tables;
    const [row] = await this.store.db
      .select({ update: u, stack: s, organizationName: o.name })
      .from(u)
      .innerJoin(s, eq(s.id, u.stackId))
      .innerJoin(o, eq(o.id, s.organizationId))
      .where(eq(u.id, id))
      .limit(1);
    return row;
  }

  /** Every stack grant of every team the user is in, within one organization. */
  teamGrantsOfUser(userId: string, organizationId: string) {
    return teamGrantsOfUser(this.store.db, this.store.tables, userId, organizationId);
  }

  async organizationWithRole(name: string, userId: string) {
    const { organizationsTable: o, membershipsTable: m } = this.store.tables;
    const [row] = await this.store.db
      .select({ organization: o, role: m.role })
      .from(o)
      .leftJoin(m, and(eq(m.organizationId, o.id), eq(m.userId, userId)))
      .where(eq(sql`lower(${o.name})`, name.toLowerCase()))
      .limit(1);
    return row;
  }
}

/** Per request. */
export class Access {
  private readonly organizations = new Map<string, Promise<OrganizationAccess>>();
  private readonly teamGrants = new Map<string, Promise<Map<string, StackPermissionValue>>>();
  private readonly stacks = new Map<string, Promise<StackAccess>>();
  private readonly updates = new Map<string, Promise<UpdateAccess>>();
  /** Per OrganizationAccess (a fresh one after forget()): a list asks once, not once per row. */
  private readonly sources = new WeakMap<OrganizationAccess, readonly PermissionSource[]>();

  constructor(
    private readonly queries: AccessQueries,
    private readonly principal: Principal,
  ) {}

  organization(name: string | undefined): Promise<OrganizationAccess> {
    if (name === undefined || name === "") return Promise.resolve(OUTSIDE);
    return memo(this.organizations, name.toLowerCase(), () => this.lookUp(name));
  }

  /** The organization named, for a resolver the permission map already admitted. */
  async requireOrganization(name: string): Promise<OrganizationRow> {
    const { organization } = await this.organization(name);
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
  private teamGrantsIn(userId: string, organizationId: string): Promise<Map<string, StackPermissionValue>> {
    return memo(this.teamGrants, organizationId, async () => {
      const grants = new Map<string, StackPermissionValue>();
      for (const { stackId, permission } of await this.queries.teamGrantsOfUser(userId, organizationId)) {
        grants.set(stackId, highest(grants.get(stackId) ?? "NONE", permission));
      }
      return grants;
    });
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
  async stackPermission(access: OrganizationAccess, stack: StackRow): Promise<StackPermissionValue> {
    if (!access.organization || access.organization.id !== stack.organizationId) return "NONE";
    let sources = this.sources.get(access);
    if (!sources) this.sources.set(access, (sources = permissionSources(this.standing(access)!)));
    const teamSource = sources.find((source) => source.reaches === "stacks granted to the user's teams");
    const grants = teamSource ? await this.teamGrantsIn(teamSource.userId, stack.organizationId) : null;
    return permissionOn(sources, {
      createdByUserId: stack.createdByUserId,
      teamGrant: () => grants?.get(stack.id) ?? "NONE",
    });
  }

  /** The stack as the caller sees it, or null when it cannot READ it. */
  async toStackNode(access: OrganizationAccess, stack: StackRow, listed = false): Promise<StackNode | null> {
    const viewerPermission = await this.stackPermission(access, stack);
    if (!access.organization || !atLeast(viewerPermission, "READ")) return null;
    // the row is a fresh object of this request: completed in place rather than copied
    return Object.assign(stack, { organization: access.organization, viewerPermission, listed });
  }

  async stack(organizationName: string | undefined, project: string | undefined, name: string | undefined): Promise<StackAccess> {
    const organization = await this.organization(organizationName);
    const id = organization.organization?.id;
    if (id === undefined || project === undefined || name === undefined) return { organization, stack: null };
    return memo(this.stacks, `${id}\n${project}\n${name}`, async () => {
      const row = await this.queries.stackByName(id, project, name);
      return { organization, stack: row ? await this.toStackNode(organization, row) : null };
    });
  }

  /** The stack named, for a resolver the permission map already admitted. */
  async requireStack(ref: { organization: string; project: string; stack: string }): Promise<StackNode> {
    const { organization, stack } = await this.stack(ref.organization, ref.project, ref.stack);
    if (!organization.organization) throw notInOrganization(ref.organization);
    if (!stack) throw new NotFoundError(`stack ${quote(`${ref.organization}/${ref.project}/${ref.stack}`)} not found`);
    return stack;
  }

  update(id: string | undefined): Promise<UpdateAccess> {
    const hidden: UpdateAccess = { update: null, stack: { organization: OUTSIDE, stack: null } };
    if (id === undefined) return Promise.resolve(hidden);
    return memo(this.updates, id, async () => {
      const row = await this.queries.updateById(id);
      if (!row) return hidden;
      const organization = await this.organization(row.organizationName);
      const stack = organization.organization ? await this.toStackNode(organization, row.stack) : null;
      return { update: stack ? row.update : null, stack: { organization, stack } };
    });
  }

  private async lookUp(name: string): Promise<OrganizationAccess> {
    const { principal } = this;
    if (principal.kind === "ORGANIZATION_TOKEN") {
      const own = principal.organization;
      return own.name.toLowerCase() === name.toLowerCase() ? { organization: own, role: null, isOwnToken: true } : OUTSIDE;
    }
    if (principal.kind !== "USER") return OUTSIDE;
    const row = await this.queries.organizationWithRole(name, principal.user.id);
    if (!row?.role) return OUTSIDE;
    return { organization: row.organization, role: row.role, isOwnToken: false };
  }
}

/** The memoised answer for `key`, asked once; a failed answer is not kept (the next ask tries again). */
function memo<T>(cache: Map<string, Promise<T>>, key: string, ask: () => Promise<T>): Promise<T> {
  let answer = cache.get(key);
  if (answer === undefined) {
    answer = ask();
    cache.set(key, answer);
    answer.catch(() => {
      if (cache.get(key) === answer) cache.delete(key);
    });
  }
  return answer;
}
