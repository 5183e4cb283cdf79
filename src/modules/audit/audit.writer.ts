import { sql } from "drizzle-orm";
import type { Caller } from "../../auth/principal.js";
import type { Db } from "../../db/client.js";
import { auditEventsTable } from "../../db/schema.js";
import { AUDIT_EVENTS, type AuditEventId } from "./audit-events.js";

export interface AuditEventInput {
  readonly organizationId: string;
  readonly event: AuditEventId;
  readonly description: string;
  /** Overrides the catalogue's flag, e.g. for an auth failure on an admin-only stack operation. */
  readonly requireOrgAdmin?: boolean;
  readonly requireStackAdmin?: boolean;
  readonly authFailure?: boolean;
}

const p = (name: string) => sql.placeholder(name);

/**
 * The one way an audit event is written. Call `write` inside the transaction that makes
 * the change (a statement prepared on the connection runs in whatever transaction is open
 * on it), so both land or neither does. The actor is recorded as it is now (login, name,
 * avatar; or the token's id and name): later renames do not rewrite history.
 * No secret is ever passed here.
 */
export class AuditWriter {
  private readonly insert;

  constructor(db: Db) {
    this.insert = db
      .insert(auditEventsTable)
      .values({
        organizationId: p("organizationId"),
        timestamp: p("timestamp"),
        event: p("event"),
        description: p("description"),
        sourceIp: p("sourceIp"),
        userAgent: p("userAgent"),
        userId: p("userId"),
        userLogin: p("userLogin"),
        userName: p("userName"),
        userAvatarUrl: p("userAvatarUrl"),
        tokenId: p("tokenId"),
        tokenName: p("tokenName"),
        requireOrgAdmin: p("requireOrgAdmin"),
        requireStackAdmin: p("requireStackAdmin"),
        authFailure: p("authFailure"),
      })
      .prepare();
  }

  write(caller: Caller, input: AuditEventInput, at: Date = new Date()): void {
    const flags = AUDIT_EVENTS[input.event];
    const { principal } = caller;
    const user = principal.kind === "USER" ? principal.user : null;
    const token = principal.kind === "ORGANIZATION_TOKEN" ? principal.token : null;
    this.insert.run({
      organizationId: input.organizationId,
      timestamp: at,
      event: input.event,
      description: input.description,
      sourceIp: caller.sourceIp,
      userAgent: caller.userAgent,
      userId: user?.id ?? null,
      userLogin: user?.login ?? null,
      userName: user?.name ?? null,
      userAvatarUrl: user?.avatarUrl ?? null,
      tokenId: token?.id ?? null,
      tokenName: token?.name ?? null,
      requireOrgAdmin: input.requireOrgAdmin ?? flags.requireOrgAdmin,
      requireStackAdmin: input.requireStackAdmin ?? flags.requireStackAdmin,
      authFailure: input.authFailure ?? false,
    });
  }
}
