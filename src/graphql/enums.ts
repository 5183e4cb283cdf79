// GraphQL enums, built from the value lists of the database schema so the two cannot drift.
import { registerEnumType } from "type-graphql";
import {
  ORGANIZATION_ROLES,
  STACK_PERMISSIONS,
  SUBSCRIPTION_TIERS,
  UPDATE_KINDS,
  UPDATE_STATUSES,
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
