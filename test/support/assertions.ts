import { asc, eq } from "drizzle-orm";
import { expect } from "vitest";
import { auditEventsTable } from "../../src/db/schema.js";
import type { GraphQLResponse, TestServer } from "./test-server.js";

export const errorCodes = (res: GraphQLResponse): string[] => (res.body.errors ?? []).map((e) => e.extensions?.code ?? "(none)");

/** No errors at all, HTTP 200. */
export function expectOk(res: GraphQLResponse): void {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  expect(res.status).toBe(200);
}

/** Exactly one error, with this code. */
export function expectError(res: GraphQLResponse, code: string, message?: RegExp): void {
  expect(errorCodes(res), res.raw).toEqual([code]);
  if (message) expect(res.body.errors![0]!.message).toMatch(message);
}

/** Exactly one error, with this code, about this input (`extensions.field`). */
export function expectFieldError(res: GraphQLResponse, code: string, field: string, message?: RegExp): void {
  expectError(res, code, message);
  expect(res.body.errors![0]!.extensions?.field, res.raw).toBe(field);
}

export function auditEventsOf(server: TestServer, organizationId: string) {
  return server.app.db
    .select()
    .from(auditEventsTable)
    .where(eq(auditEventsTable.organizationId, organizationId))
    .orderBy(asc(auditEventsTable.id))
    .all();
}

/** Audit events of the organization written after `sinceId`. */
export function auditEventsSince(server: TestServer, organizationId: string, sinceId: number) {
  return auditEventsOf(server, organizationId).filter((e) => e.id > sinceId);
}

export function lastAuditId(server: TestServer): number {
  const row = server.app.db.$client.prepare("select coalesce(max(id), 0) as id from audit_events").get() as { id: number };
  return row.id;
}
