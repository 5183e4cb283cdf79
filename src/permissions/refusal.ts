import type { AuditEventInput } from "../modules/audit/audit.writer.js";
import { ForbiddenError } from "../errors.js";
import { quote } from "../lib/validation.js";

/**
 * A FORBIDDEN refusal of a caller inside the organization. The permission map returns it;
 * the refusal recorder (src/permissions/refusal-recorder.ts) writes its `auth-failure-*`
 * audit event in a transaction of its own. The refused change never happens.
 */
export class AccessRefusal extends ForbiddenError {
  constructor(
    message: string,
    readonly audit: AuditEventInput,
  ) {
    super(message);
  }
}

/** The organization does not exist or the caller is not in it: no audit trail there. */
export const notInOrganization = (name: string | undefined): ForbiddenError =>
  new ForbiddenError(`organization ${quote(name ?? "")} does not exist or you are not a member of it`);
