import type { Caller } from "../../auth/principal.js";
import type { Store, Tx } from "../../db/store.js";
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

/**
 * The one way an audit event is written: inside the transaction that makes the change (it
 * takes that transaction's handle, which only the store makes), so both land or neither does.
 * The actor is recorded as it is now (login, name, avatar; or the token's id and name): later
 * renames do not rewrite history. No secret is ever passed here.
 *
 * Order: an organization's events are numbered in the order their transactions commit (on
 * PostgreSQL a per-organization lock, held from the write to the commit, so a later id is never
 * visible before an earlier one: a reader paging by id skips nothing).
 */
export class AuditWriter {
  constructor(private readonly store: Store) {}

  async write(tx: Tx, caller: Caller, input: AuditEventInput, at: Date = new Date()): Promise<void> {
    const flags = AUDIT_EVENTS[input.event];
    const { principal } = caller;
    const user = principal.kind === "USER" ? principal.user : null;
    const token = principal.kind === "ORGANIZATION_TOKEN" ? principal.token : null;
    await this.store.lockUntilCommit(tx, `audit:${input.organizationId}`);
    await tx.insert(this.store.tables.auditEventsTable).values({
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
