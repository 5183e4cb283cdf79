// The two sets of migrations build the same database: a fresh SQLite file migrated by
// openSqlite and a fresh PostgreSQL database migrated by migratePostgres are introspected
// and compared (tables, columns, nullability, defaults, primary keys, unique and partial indexes
// with their expressions and WHERE clauses, CHECK constraints, foreign keys).
// PostgreSQL: the local server when one answers, else PGlite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlite } from "../src/db/sqlite/connection.js";
import { openTestPostgres, postgresBackend, type TestPostgres } from "./support/postgres.js";
import {
  compareSchemas,
  introspectPostgres,
  introspectSqlite,
  normaliseExpression,
  type SchemaModel,
} from "./support/schema-introspection.js";
import { testBackend } from "./support/test-server.js";

// it compares the two dialects: run once, in the sqlite project (the postgres project would repeat it)
const runsHere = testBackend() === "sqlite";
const backend = runsHere ? await postgresBackend() : "skipped";

describe.skipIf(!runsHere)(`migrated SQLite and PostgreSQL (${backend}) databases`, () => {
  let dir: string;
  let sqlite: Database.Database;
  let postgres: TestPostgres;
  let sqliteModel: SchemaModel;
  let postgresModel: SchemaModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "gatehouse-parity-"));
    sqlite = openSqlite(join(dir, "parity.db"));
    postgres = await openTestPostgres();
    sqliteModel = introspectSqlite(sqlite);
    postgresModel = await introspectPostgres((text, params) => postgres.query(text, params));
  });
  afterAll(async () => {
    sqlite?.close();
    await postgres?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("have the same structure", () => {
    expect(compareSchemas(sqliteModel, postgresModel)).toEqual([]);
  });

  it("read what the schema declares (the introspection sees the things compared)", () => {
    expect(Object.keys(sqliteModel)).toHaveLength(16);
    expect(sqliteModel.access_tokens?.indexes.access_tokens_org_name_unique).toEqual({
      unique: true,
      columns: ["organization_id", "lower(name)"],
      where: "kind = 'ORGANIZATION'",
    });
    expect(postgresModel.stack_updates?.indexes.stack_updates_one_running).toEqual({
      unique: true,
      columns: ["stack_id"],
      where: "status = 'RUNNING' AND is_preview = 0",
    });
    expect(postgresModel.access_tokens?.checks.access_tokens_owner).toBe(
      "(kind = 'PERSONAL' AND user_id IS NOT NULL AND organization_id IS NULL) OR " +
        "(kind = 'ORGANIZATION' AND organization_id IS NOT NULL AND name IS NOT NULL AND user_id IS NULL)",
    );
    expect(postgresModel.team_members?.foreignKeys).toEqual([
      "(team_id) -> teams(id) on delete cascade on update no action",
      "(user_id) -> users(id) on delete no action on update no action",
    ]);
    expect(postgresModel.memberships?.columns.seq).toEqual({ type: "integer", notNull: true, default: null, autoNumbered: true });
    expect(sqliteModel.users?.columns.is_site_admin).toEqual({ type: "integer", notNull: true, default: "0", autoNumbered: false });
    expect(postgresModel.stacks?.indexes.stacks_id_unique).toEqual({ unique: true, columns: ["id"], where: null });
  });

  // Each statement makes one side drift; the comparison names what drifted. Run in a
  // transaction rolled back afterwards (SQLite) or on a copy of its own (PostgreSQL).
  const postgresDrifts: Array<[string, string, string]> = [
    [
      "the org token name index made case-sensitive",
      `DROP INDEX access_tokens_org_name_unique;
       CREATE UNIQUE INDEX access_tokens_org_name_unique ON access_tokens (organization_id, name) WHERE kind = 'ORGANIZATION'`,
      'index access_tokens.access_tokens_org_name_unique: SQLite {"unique":true,"columns":["organization_id","lower(name)"],"where":"kind = \'ORGANIZATION\'"}, PostgreSQL {"unique":true,"columns":["organization_id","name"],"where":"kind = \'ORGANIZATION\'"}',
    ],
    [
      "the one-running index without its WHERE",
      `DROP INDEX stack_updates_one_running; CREATE UNIQUE INDEX stack_updates_one_running ON stack_updates (stack_id)`,
      "index stack_updates.stack_updates_one_running",
    ],
    [
      "a partial index whose WHERE differs in one literal",
      `DROP INDEX stack_updates_one_running;
       CREATE UNIQUE INDEX stack_updates_one_running ON stack_updates (stack_id) WHERE status = 'RUNNING' AND is_preview = true`,
      "index stack_updates.stack_updates_one_running",
    ],
    ["a column made NOT NULL", "ALTER TABLE teams ALTER COLUMN description SET NOT NULL", "column teams.description"],
    ["a default changed", "ALTER TABLE organizations ALTER COLUMN tier SET DEFAULT 'INDIVIDUAL'", "column organizations.tier"],
    [
      "a foreign key's ON DELETE changed",
      `ALTER TABLE team_members DROP CONSTRAINT team_members_team_id_teams_id_fk;
       ALTER TABLE team_members ADD CONSTRAINT team_members_team_id_teams_id_fk FOREIGN KEY (team_id) REFERENCES teams(id)`,
      "foreign keys of team_members",
    ],
    [
      "a check regrouped",
      `ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_owner;
       ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_owner CHECK (kind = 'PERSONAL' AND user_id IS NOT NULL AND (organization_id IS NULL
         OR kind = 'ORGANIZATION') AND organization_id IS NOT NULL AND name IS NOT NULL AND user_id IS NULL)`,
      "check access_tokens.access_tokens_owner",
    ],
    ["an extra index", "CREATE INDEX teams_extra_idx ON teams (display_name)", "index teams.teams_extra_idx: only on PostgreSQL"],
    ["a column of another type", "ALTER TABLE stacks ALTER COLUMN resource_count TYPE text", "column stacks.resource_count"],
    ["a time rounded to seconds", "ALTER TABLE users ALTER COLUMN created_at TYPE timestamptz(0)", "column users.created_at"],
  ];

  it.each(postgresDrifts)("a PostgreSQL drift is caught: %s", async (_, statements, expected) => {
    const copy = await openTestPostgres();
    try {
      for (const statement of statements.split(";")) await copy.query(statement);
      const differences = compareSchemas(sqliteModel, await introspectPostgres((text, params) => copy.query(text, params)));
      expect(differences).toHaveLength(1);
      expect(differences[0]).toContain(expected);
    } finally {
      await copy.close();
    }
  });

  const sqliteDrifts: Array<[string, string, string]> = [
    [
      "the org token name index made case-sensitive",
      `DROP INDEX access_tokens_org_name_unique;
       CREATE UNIQUE INDEX access_tokens_org_name_unique ON access_tokens (organization_id, name) WHERE kind = 'ORGANIZATION'`,
      "index access_tokens.access_tokens_org_name_unique",
    ],
    ["an extra column", "ALTER TABLE users ADD COLUMN nickname text", "column users.nickname: only on SQLite"],
    ["an index dropped", "DROP INDEX memberships_user_idx", "index memberships.memberships_user_idx: only on PostgreSQL"],
  ];

  it.each(sqliteDrifts)("an SQLite drift is caught: %s", (_, statements, expected) => {
    const client = sqlite;
    client.exec("BEGIN");
    try {
      client.exec(statements);
      const differences = compareSchemas(introspectSqlite(client), postgresModel);
      expect(differences).toHaveLength(1);
      expect(differences[0]).toContain(expected);
    } finally {
      client.exec("ROLLBACK");
    }
    expect(compareSchemas(introspectSqlite(client), postgresModel)).toEqual([]);
  });
});

describe.skipIf(!runsHere)("normaliseExpression", () => {
  it.each([
    ["status = 'RUNNING' AND is_preview = 0", "((status = 'RUNNING'::text) AND (is_preview = false))"],
    ['lower("name")', "lower(name)"],
    ["`organization_id`", "organization_id"],
    ["''", "''::text"],
    ["false", "0"],
    ["(a = 'x' AND b IS NOT NULL) OR c IS NULL", "(((a = 'x'::text) AND (b IS NOT NULL)) OR (c IS NULL))"],
  ])("%s ≡ %s", (a, b) => {
    expect(normaliseExpression(a)).toBe(normaliseExpression(b));
  });

  it.each([
    ["a = 1 AND (b = 2 OR c = 3)", "(a = 1 AND b = 2) OR c = 3"],
    ["is_preview = 0", "is_preview = 1"],
    ["lower(name)", "name"],
    ["a IS NULL", "a IS NOT NULL"],
    ["kind = 'ORGANIZATION'", "kind = 'organization'"],
  ])("%s ≢ %s", (a, b) => {
    expect(normaliseExpression(a)).not.toBe(normaliseExpression(b));
  });
});
