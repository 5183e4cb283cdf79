// The same rows written through drizzle on SQLite (better-sqlite3) and on PostgreSQL
// (node-postgres against the server, or PGlite) read back as the same values: times to the
// millisecond, booleans, JSON columns, numbered keys and defaults. Services written against
// the shared row types can rely on it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asc } from "drizzle-orm";
import type Database from "better-sqlite3";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as pgSchema from "../src/db/postgres/schema.js";
import * as sqliteSchema from "../src/db/schema.js";
import { openSqlite } from "../src/db/sqlite/connection.js";
import { openTestPostgres, postgresBackend, type TestPostgres } from "./support/postgres.js";
import { testBackend } from "./support/test-server.js";

// it compares the two dialects: run once, in the sqlite project (the postgres project would repeat it)
const runsHere = testBackend() === "sqlite";
const backend = runsHere ? await postgresBackend() : "skipped";

const at = new Date("2026-01-02T03:04:05.678Z");
const organization = { id: "org-1", name: "acme", displayName: "Acme", createdAt: at };
const user = { id: "user-1", login: "ada", createdAt: at };
const stack = { id: "stack-1", organizationId: "org-1", project: "web", name: "prod", createdAt: at };
const update = {
  id: "update-1",
  stackId: "stack-1",
  version: 1,
  kind: "UPDATE" as const,
  isPreview: false,
  status: "SUCCEEDED" as const,
  startedAt: at,
  endedAt: new Date(at.getTime() + 1),
  requestedBy: "ada",
  resourceChanges: { create: 1, update: 2, delete: 0, same: 3, replace: 0 },
};
const webhook = {
  id: "hook-1",
  organizationId: "org-1",
  name: "ci",
  displayName: "CI",
  payloadUrl: "http://127.0.0.1:9/hook",
  active: true,
  format: "RAW" as const,
  filters: ["stack-created", "team-created"],
  createdAt: at,
};
const delivery = {
  webhookId: "hook-1",
  kind: "ping",
  payload: "{}",
  timestamp: at,
  requestUrl: "http://127.0.0.1:9/hook",
  requestHeaders: { "content-type": "application/json", "webhook-id": "msg_1" },
  responseHeaders: null,
  attempt: 1,
};

describe.skipIf(!runsHere)(`rows on SQLite and PostgreSQL (${backend})`, () => {
  let dir: string;
  let sqlite: BetterSQLite3Database<typeof sqliteSchema> & { $client: Database.Database };
  let postgres: TestPostgres;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gatehouse-rows-"));
    sqlite = drizzle(openSqlite(join(dir, "rows.db")), { schema: sqliteSchema });
    postgres = await openTestPostgres();
    sqlite.insert(sqliteSchema.organizationsTable).values(organization).run();
    sqlite.insert(sqliteSchema.usersTable).values(user).run();
    sqlite
      .insert(sqliteSchema.stacksTable)
      .values([stack, { ...stack, id: "stack-2", name: "dev" }])
      .run();
    sqlite.insert(sqliteSchema.stackUpdatesTable).values(update).run();
    sqlite.insert(sqliteSchema.webhooksTable).values(webhook).run();
    sqlite
      .insert(sqliteSchema.webhookDeliveriesTable)
      .values([delivery, { ...delivery, attempt: 2 }])
      .run();
    const db = postgres.db;
    await db.insert(pgSchema.organizationsTable).values(organization);
    await db.insert(pgSchema.usersTable).values(user);
    await db.insert(pgSchema.stacksTable).values([stack, { ...stack, id: "stack-2", name: "dev" }]);
    await db.insert(pgSchema.stackUpdatesTable).values(update);
    await db.insert(pgSchema.webhooksTable).values(webhook);
    await db.insert(pgSchema.webhookDeliveriesTable).values([delivery, { ...delivery, attempt: 2 }]);
  });
  afterAll(async () => {
    sqlite?.$client.close();
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("defaults, booleans and times read back alike", async () => {
    const fromSqlite = sqlite.select().from(sqliteSchema.organizationsTable).all();
    const fromPostgres = await postgres.db.select().from(pgSchema.organizationsTable);
    expect(fromPostgres).toEqual(fromSqlite);
    expect(fromPostgres).toEqual([{ ...organization, tier: "TEAM", trialEndsAt: null, defaultStackPermission: "READ" }]);
    const users = await postgres.db.select().from(pgSchema.usersTable);
    expect(users).toEqual(sqlite.select().from(sqliteSchema.usersTable).all());
    expect(users[0]?.isSiteAdmin).toBe(false);
    expect(users[0]?.createdAt.toISOString()).toBe("2026-01-02T03:04:05.678Z");
  });

  it("numbered keys count from 1 in insertion order", async () => {
    const seqs = await postgres.db
      .select({ seq: pgSchema.stacksTable.seq, id: pgSchema.stacksTable.id })
      .from(pgSchema.stacksTable)
      .orderBy(asc(pgSchema.stacksTable.seq));
    expect(seqs).toEqual([
      { seq: 1, id: "stack-1" },
      { seq: 2, id: "stack-2" },
    ]);
    expect(seqs).toEqual(
      sqlite
        .select({ seq: sqliteSchema.stacksTable.seq, id: sqliteSchema.stacksTable.id })
        .from(sqliteSchema.stacksTable)
        .orderBy(asc(sqliteSchema.stacksTable.seq))
        .all(),
    );
  });

  it("JSON columns read back as the values written", async () => {
    const [fromPostgres] = await postgres.db.select().from(pgSchema.stackUpdatesTable);
    expect(fromPostgres).toEqual(sqlite.select().from(sqliteSchema.stackUpdatesTable).get());
    expect(fromPostgres?.resourceChanges).toEqual(update.resourceChanges);
    expect((await postgres.db.select().from(pgSchema.webhooksTable))[0]?.filters).toEqual(webhook.filters);
    const deliveries = await postgres.db.select().from(pgSchema.webhookDeliveriesTable).orderBy(asc(pgSchema.webhookDeliveriesTable.id));
    expect(deliveries).toEqual(
      sqlite.select().from(sqliteSchema.webhookDeliveriesTable).orderBy(asc(sqliteSchema.webhookDeliveriesTable.id)).all(),
    );
    expect(deliveries.map((d) => [d.id, d.requestHeaders["webhook-id"], d.responseHeaders])).toEqual([
      [1, "msg_1", null],
      [2, "msg_1", null],
    ]);
  });

  it("relational queries work on both (drizzle's db.query)", async () => {
    const fromPostgres = await postgres.db.query.stacksTable.findFirst({ where: (s, { eq }) => eq(s.id, "stack-2") });
    expect(fromPostgres).toEqual(sqlite.query.stacksTable.findFirst({ where: (s, { eq }) => eq(s.id, "stack-2") }).sync());
  });
});
