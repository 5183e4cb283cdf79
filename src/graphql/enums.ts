// GraphQL enums, built from the value lists of the database schema so the two cannot drift.
import { registerEnumType } from "type-graphql";
import {
  ORGANIZATION_ROLES,
  STACK_PERMISSIONS,
  type StackPermissionValue,
  SUBSCRIPTION_TIERS,
  UPDATE_KINDS,
  UPDATE_STATUSES,
  type UpdateStatusValue,
  WEBHOOK_FORMATS,
} from "../db/schema.js";

type EnumObject<T extends string> = { readonly [K in T]: K };
const enumOf = <T extends string>(values: readonly T[]): EnumObject<T> =>
  Object.freeze(Object.fromEntries(values.map((v) => [v, v]))) as EnumObject<T>;

export const OrganizationRole = enumOf(ORGANIZATION_ROLES);
export const SubscriptionTier = enumOf(SUBSCRIPTION_TIERS);
export const StackPermission = enumOf(STACK_PERMISSIONS);
export const UpdateKind = enumOf(UPDATE_KINDS);
export const UpdateStatus = enumOf(UPDATE_STATUSES);
export const WebhookFormat = enumOf(WEBHOOK_FORMATS);
export const PrincipalKind = enumOf(["USER", "ORGANIZATION_TOKEN"] as const);
export const AuditLogExportFormat = enumOf(["CSV", "CEF"] as const);

// Input enums that admit only what the operation accepts, so a typed client cannot send
// a value the server would refuse at run time (the contract's inputs keep the wider enums).
export const UPDATE_OUTCOMES = ["SUCCEEDED", "FAILED", "CANCELLED"] as const satisfies readonly UpdateStatusValue[];
export type UpdateOutcomeValue = (typeof UPDATE_OUTCOMES)[number];
export const UpdateOutcome = enumOf(UPDATE_OUTCOMES);
export const GRANT_PERMISSIONS = ["READ", "WRITE", "ADMIN"] as const satisfies readonly StackPermissionValue[];
export type StackGrantPermissionValue = (typeof GRANT_PERMISSIONS)[number];
export const StackGrantPermission = enumOf(GRANT_PERMISSIONS);
export const DEFAULT_PERMISSIONS = ["NONE", "READ", "WRITE"] as const satisfies readonly StackPermissionValue[];
export type DefaultStackPermissionValue = (typeof DEFAULT_PERMISSIONS)[number];
export const DefaultStackPermission = enumOf(DEFAULT_PERMISSIONS);

export const ActorKind = enumOf(["USER", "ORGANIZATION_TOKEN", "SYSTEM"] as const);
export type ActorKindValue = keyof typeof ActorKind;

// What each stack permission level allows (CONTRACT.md §3): shared by the enums that list them.
const READ_ALLOWS = { description: "See the stack, its tags, state, updates, previews and events; run previews." };
const WRITE_ALLOWS = { description: "READ, and set and delete tags, import state, run updates of every kind." };
const ADMIN_ALLOWS = { description: "WRITE, and delete and transfer the stack." };
const ENTERPRISE_TIER = {
  description: "Includes organization access tokens, and shows admins their members' email addresses (paid, or a trial not yet ended).",
};

registerEnumType(OrganizationRole, {
  name: "OrganizationRole",
  description: "A user's role in an organization.",
  valuesConfig: {
    ADMIN: {
      description:
        "Everything in the organization: members, teams, tokens, webhooks, settings, the audit log, and ADMIN on every stack. An organization always keeps one.",
    },
    MEMBER: {
      description:
        "Creates stacks; has the organization's default permission on every stack, ADMIN on the stacks they created, and their teams' grants.",
    },
    BILLING_MANAGER: {
      description: "Sees the organization, its members, teams and subscription; on stacks only their teams' grants; creates no stacks.",
    },
  },
});
registerEnumType(SubscriptionTier, {
  name: "SubscriptionTier",
  description: "An organization's subscription tier, set by site administrators (setOrganizationSubscription).",
  valuesConfig: {
    INDIVIDUAL: { description: "No organization access tokens." },
    TEAM: { description: "The tier of a new organization. No organization access tokens." },
    ENTERPRISE_GROWTH: ENTERPRISE_TIER,
    BUSINESS_CRITICAL: ENTERPRISE_TIER,
  },
});
registerEnumType(StackPermission, {
  name: "StackPermission",
  description: "NONE < READ < WRITE < ADMIN; each level includes the ones before it.",
  valuesConfig: {
    NONE: { description: "No access: the stack looks as if it did not exist." },
    READ: READ_ALLOWS,
    WRITE: WRITE_ALLOWS,
    ADMIN: ADMIN_ALLOWS,
  },
});
registerEnumType(UpdateKind, {
  name: "UpdateKind",
  description: "What an update does, named after the Pulumi CLI command that runs it.",
  valuesConfig: {
    UPDATE: { description: "`pulumi up`: changes the resources to match the program." },
    PREVIEW: {
      description:
        "`pulumi preview`: shows what an update would change. Needs only READ; previews may run beside each other and beside another update.",
    },
    REFRESH: { description: "`pulumi refresh`: reads the resources' actual state into the checkpoint." },
    DESTROY: { description: "`pulumi destroy`: deletes the stack's resources." },
    IMPORT: { description: "`pulumi import`: adopts existing resources into the stack." },
  },
});
registerEnumType(UpdateStatus, {
  name: "UpdateStatus",
  description: "Where an update is: RUNNING until it is completed or cancelled, then how it ended.",
  valuesConfig: {
    RUNNING: { description: "Started and not yet ended: events can be appended." },
    SUCCEEDED: { description: "Ended successfully." },
    FAILED: { description: "Ended in failure." },
    CANCELLED: { description: "Cancelled before it ended." },
  },
});
registerEnumType(WebhookFormat, {
  name: "WebhookFormat",
  description: "The shape of a delivery's JSON body.",
  valuesConfig: {
    RAW: { description: "The event itself, as JSON: kind, timestamp, organization and, as the kind has them, stack, actor and update." },
    SLACK: { description: "A Slack incoming-webhook message (text and one section block) summing up the event." },
    MS_TEAMS: { description: "A Microsoft Teams message with an Adaptive Card summing up the event." },
  },
});
registerEnumType(PrincipalKind, {
  name: "PrincipalKind",
  description: "What kind of token the caller presented.",
  valuesConfig: {
    USER: { description: "A personal access token: the caller is its user." },
    ORGANIZATION_TOKEN: { description: "An organization access token." },
  },
});
registerEnumType(AuditLogExportFormat, {
  name: "AuditLogExportFormat",
  description: "The file format of an audit log export.",
  valuesConfig: {
    CSV: {
      description:
        "RFC 4180 CSV with a header row and CRLF line ends; a cell that a spreadsheet would run as a formula is prefixed with '.",
    },
    CEF: { description: "ArcSight Common Event Format: one line per event." },
  },
});
registerEnumType(UpdateOutcome, {
  name: "UpdateOutcome",
  description: "How an update ended: the statuses completeStackUpdate accepts (UpdateStatus without RUNNING).",
  valuesConfig: {
    SUCCEEDED: { description: "It succeeded: a non-preview update's state, when given, becomes the stack's checkpoint." },
    FAILED: { description: "It failed; the checkpoint stays as it was." },
    CANCELLED: { description: "It was cancelled; the checkpoint stays as it was." },
  },
});
registerEnumType(StackGrantPermission, {
  name: "StackGrantPermission",
  description: "A permission a team can be granted on a stack: READ, WRITE or ADMIN (StackPermission without NONE).",
  valuesConfig: { READ: READ_ALLOWS, WRITE: WRITE_ALLOWS, ADMIN: ADMIN_ALLOWS },
});
registerEnumType(DefaultStackPermission, {
  name: "DefaultStackPermission",
  description: "What every member may do on every stack before team grants: NONE, READ or WRITE (ADMIN is granted through teams).",
  valuesConfig: {
    NONE: { description: "Members reach only the stacks they created and those granted to their teams." },
    READ: { description: "Members may READ every stack (a new organization's default)." },
    WRITE: { description: "Members may WRITE every stack." },
  },
});
registerEnumType(ActorKind, {
  name: "ActorKind",
  description:
    "Who acted: a user (through a personal access token), an organization access token, or the server itself (admin CLI, demo data).",
  valuesConfig: {
    USER: { description: "A user, through a personal access token." },
    ORGANIZATION_TOKEN: { description: "An organization access token." },
    SYSTEM: { description: "The server itself: the admin CLI or the demo data." },
  },
});
