import { asc, eq, max } from "drizzle-orm";
import { expect } from "vitest";
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
  const { db, tables } = server.app.store;
  const { auditEventsTable } = tables;
  return db.select().from(auditEventsTable).where(eq(auditEventsTable.organizationId, organizationId)).orderBy(asc(auditEventsTable.id));
}

/** Audit events of the organization written after `sinceId`. */
export async function auditEventsSince(server: TestServer, organizationId: string, sinceId: number) {
  return (await auditEventsOf(server, organizationId)).filter((e) => e.id > sinceId);
}

export async function lastAuditId(server: TestServer): Promise<number> {
  const { db, tables } = server.app.store;
  const [row] = await db.select({ id: max(tables.auditEventsTable.id) }).from(tables.auditEventsTable);
  return row?.id ?? 0;
}
