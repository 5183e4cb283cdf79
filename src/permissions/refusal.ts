import type { StackPermissionValue } from "../db/schema.js";
import { ForbiddenError } from "../errors.js";
import { quote } from "../lib/validation.js";

/** What was refused, to whom it is told in the organization's audit log (src/modules/audit/refusal-events.ts). */
export type RefusalFacts =
  | {
      readonly kind: "organization-role";
      readonly organizationId: string;
      /** `Type.field`, e.g. "Mutation.createTeam". */
      readonly operation: string;
      /** e.g. "the ADMIN role". */
      readonly requirement: string;
    }
  | {
      readonly kind: "stack-permission";
      readonly organizationId: string;
      readonly operation: string;
      /** organization/project/stack */
      readonly stack: string;
      readonly required: StackPermissionValue;
    };

/**
 * A FORBIDDEN refusal of a caller inside the organization. The permission map returns it;
 * the refusal recorder (src/modules/audit/refusal-recorder.ts) writes its `auth-failure-*`
 * audit event in a transaction of its own. The refused change never happens.
 */
export class AccessRefusal extends ForbiddenError {
  constructor(
    message: string,
    readonly facts: RefusalFacts,
  ) {
    super(message);
  }
}

/** The organization does not exist or the caller is not in it: no audit trail there. */
export const notInOrganization = (name: string | undefined): ForbiddenError =>
  new ForbiddenError(`organization ${quote(name ?? "")} does not exist or you are not a member of it`);
