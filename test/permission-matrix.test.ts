// The permission matrix of ../shared/contract/permissions.json, row by row, for the four
// contract principals, a site admin where the row names one, and callers that must be
// refused everywhere (anonymous, deleted and expired tokens, another organization's token,
// an organization token whose subscription disables it).
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCodes } from "./support/assertions.js";
import { contractFile } from "./support/contract.js";
import { EXTRA_OPERATIONS, EXTRA_ROWS } from "./support/extra-operations.js";
import { OPERATIONS } from "./support/operations.js";
import type { PermissionRow } from "./support/permission-matrix-table.js";
import { startTestServer, type TestServer } from "./support/test-server.js";
import { CONTRACT_PRINCIPALS, createWorld, type PrincipalName } from "./support/world.js";

type Row = PermissionRow;

const matrix: { operations: Row[] } = JSON.parse(readFileSync(contractFile("permissions.json"), "utf8"));

const REFUSAL_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"]);

function expected(row: Row, as: PrincipalName): boolean | undefined {
  switch (as) {
    case "admin":
    case "member":
    case "orgToken":
    case "outsider":
      return row[as];
    case "siteAdmin":
      return row.siteAdmin;
    case "foreignOrgToken":
      return row.operation === "Query.viewer";
    default:
      return false;
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

it("knows how to call every row of permissions.json, and every operation added beyond it", () => {
  expect(matrix.operations.map((row) => row.operation).filter((op) => !(op in OPERATIONS))).toEqual([]);
  expect(EXTRA_ROWS.map((row) => row.operation).filter((op) => !(op in EXTRA_OPERATIONS))).toEqual([]);
  expect(EXTRA_ROWS.filter((row) => matrix.operations.some((r) => r.operation === row.operation))).toEqual([]);
});

const ALL_OPERATIONS = { ...OPERATIONS, ...EXTRA_OPERATIONS };

const PRINCIPALS: PrincipalName[] = [
  ...CONTRACT_PRINCIPALS,
  "siteAdmin",
  "anonymous",
  "deletedToken",
  "expiredToken",
  "foreignOrgToken",
  "unentitledOrgToken",
];

describe.each([...matrix.operations, ...EXTRA_ROWS])("$operation", (row) => {
  const cases = PRINCIPALS.map((as) => ({ as, allowed: expected(row, as) })).filter((c) => c.allowed !== undefined);
  it.each(cases)("$as → allowed: $allowed", async ({ as, allowed }) => {
    const world = await createWorld(server);
    const operation = ALL_OPERATIONS[row.operation]!;
    const { query, variables } = await operation.request(world, as);
    const res = await server.gql(query, variables, { token: world.tokenOf(as) });
    const codes = errorCodes(res);
    const unexpected = codes.filter((c) => !REFUSAL_CODES.has(c));
    expect(unexpected, `unexpected errors: ${res.raw}`).toEqual([]);
    const refused = codes.length > 0 || operation.result(res.body.data) == null;
    expect(!refused, res.raw).toBe(allowed);
    if (!allowed && ["deletedToken", "expiredToken", "anonymous"].includes(as)) expect(res.status).toBe(401);
    if (as === "unentitledOrgToken") expect(res.status).toBe(403);
  });
});
