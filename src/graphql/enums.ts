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

registerEnumType(OrganizationRole, { name: "OrganizationRole" });
registerEnumType(SubscriptionTier, { name: "SubscriptionTier" });
registerEnumType(StackPermission, {
  name: "StackPermission",
  description: "NONE < READ < WRITE < ADMIN; each level includes the ones before it.",
});
registerEnumType(UpdateKind, { name: "UpdateKind" });
registerEnumType(UpdateStatus, { name: "UpdateStatus" });
registerEnumType(WebhookFormat, { name: "WebhookFormat" });
registerEnumType(PrincipalKind, { name: "PrincipalKind" });
registerEnumType(AuditLogExportFormat, { name: "AuditLogExportFormat" });
registerEnumType(UpdateOutcome, {
  name: "UpdateOutcome",
  description: "How an update ended: the statuses completeStackUpdate accepts (UpdateStatus without RUNNING).",
});
registerEnumType(StackGrantPermission, {
  name: "StackGrantPermission",
  description: "A permission a team can be granted on a stack: READ, WRITE or ADMIN (StackPermission without NONE).",
});
registerEnumType(DefaultStackPermission, {
  name: "DefaultStackPermission",
  description: "What every member may do on every stack before team grants: NONE, READ or WRITE (ADMIN is granted through teams).",
});
registerEnumType(ActorKind, {
  name: "ActorKind",
  description:
    "Who acted: a user (through a personal access token), an organization access token, or the server itself (admin CLI, demo data).",
});
