import type { RefusalFacts } from "../../permissions/refusal.js";
import type { AuditEventInput } from "./audit.writer.js";

/** The `auth-failure-*` audit event that tells of a refusal in its organization's log. */
export function refusalEvent(facts: RefusalFacts): AuditEventInput {
  switch (facts.kind) {
    case "organization-role":
      return {
        organizationId: facts.organizationId,
        event: "auth-failure-organization-role",
        description: `Refused ${facts.operation}: it requires ${facts.requirement}`,
        authFailure: true,
      };
    case "stack-permission":
      return {
        organizationId: facts.organizationId,
        event: "auth-failure-stack-permission",
        description: `Refused ${facts.operation} on stack "${facts.stack}": it requires ${facts.required} permission`,
        authFailure: true,
        requireStackAdmin: facts.required === "ADMIN",
      };
  }
}
