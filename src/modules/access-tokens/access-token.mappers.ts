// Rows → GraphQL objects, field by field: the secret hash can never reach a response.
import type { AccessTokenRow } from "../../db/rows.js";
import type { OrganizationAccessToken, PersonalAccessToken } from "./access-token.type.js";

export const toPersonalAccessToken = (row: AccessTokenRow): PersonalAccessToken => ({
  id: row.id,
  description: row.description,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
  expiresAt: row.expiresAt,
  deletedAt: row.deletedAt,
});

export const toOrganizationAccessToken = (row: AccessTokenRow): OrganizationAccessToken => ({
  id: row.id,
  name: row.name ?? "",
  description: row.description,
  createdAt: row.createdAt,
  lastUsedAt: row.lastUsedAt,
  expiresAt: row.expiresAt,
  deletedAt: row.deletedAt,
  organizationId: row.organizationId ?? "",
  createdByUserId: row.createdByUserId,
});
