// What the caller can reach, looked up once per request and memoised: the rules of the
// permission map and the resolvers read the same answers.
import { and, eq, sql } from "drizzle-orm";
import type { OrganizationRow, Principal } from "../auth/principal.js";
import type { Db } from "../db/client.js";
import { membershipsTable, organizationsTable, type OrganizationRoleValue } from "../db/schema.js";
import { notInOrganization } from "./refusal.js";

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

  constructor(db: Db) {
    this.organizationWithRole = db
      .select({ organization: organizationsTable, role: membershipsTable.role })
      .from(organizationsTable)
      .leftJoin(
        membershipsTable,
        and(
          eq(membershipsTable.organizationId, organizationsTable.id),
          eq(membershipsTable.userId, sql.placeholder("userId")),
        ),
      )
      .where(eq(sql`lower(${organizationsTable.name})`, sql`lower(${sql.placeholder("name")})`))
      .prepare();
  }
}

/** Per request. */
export class Access {
  private readonly organizations = new Map<string, OrganizationAccess>();

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

  /** Drops memoised answers after a mutation changed memberships. */
  forget(): void {
    this.organizations.clear();
  }

  private lookUp(name: string): OrganizationAccess {
    const { principal } = this;
    if (principal.kind === "ORGANIZATION_TOKEN") {
      const own = principal.organization;
      return own.name.toLowerCase() === name.toLowerCase()
        ? { organization: own, role: null, isOwnToken: true }
        : OUTSIDE;
    }
    if (principal.kind !== "USER") return OUTSIDE;
    const row = this.queries.organizationWithRole.get({ name, userId: principal.user.id });
    if (!row?.role) return OUTSIDE;
    return { organization: row.organization, role: row.role, isOwnToken: false };
  }
}
