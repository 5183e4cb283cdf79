// Seeds a benchmark database: the principals through the services (so their tokens work),
// the bulk as rows shaped as the services write them. Scale "large": 10,000 stacks × 5 tags,
// 50,000 updates, 500,000 update events, 1,000,000 audit events, 1,000 members, 200 teams
// with grants, 5,000 tokens.
// SQLite (`seed`): the bulk through prepared statements in one transaction, on the file.
// PostgreSQL (`seedPostgres`): the bulk in batched multi-row inserts (`INSERT … SELECT FROM
// unnest($1::text[], …)`, BATCH rows a statement) through a pool, then VACUUM ANALYZE.
import { randomUUID } from "node:crypto";
import { nanoid } from "nanoid";
import type { Statement } from "better-sqlite3";
import pg from "pg";
import { systemCaller } from "../../src/auth/principal.js";
import { poolConnection } from "../../src/db/postgres/pool.js";
import { PostgresStore } from "../../src/db/postgres/store.js";
import { SqliteStore } from "../../src/db/sqlite/store.js";
import type { Store } from "../../src/db/store.js";
import { generateSecret, hashSecret } from "../../src/lib/token-secret.js";
import { createServices } from "../../src/services.js";
import { callerOf } from "../support/factories.js";

export interface Scale {
  stacks: number;
  updatesPerStack: number;
  updateEvents: number;
  auditEvents: number;
  members: number;
  teams: number;
  tokens: number;
}

export const LARGE: Scale = {
  stacks: 10_000,
  updatesPerStack: 5,
  updateEvents: 500_000,
  auditEvents: 1_000_000,
  members: 1_000,
  teams: 200,
  tokens: 5_000,
};
export const SMALL: Scale = {
  stacks: 100,
  updatesPerStack: 5,
  updateEvents: 5_000,
  auditEvents: 10_000,
  members: 20,
  teams: 4,
  tokens: 50,
};

export interface Seeded {
  organization: string;
  adminToken: string;
  memberToken: string;
  orgToken: string;
  /** The stack S4 tags and whose first update holds 1,000 events (S5). */
  stack: { project: string; name: string };
  s5Version: number;
}

export const BENCH_KEY = "5a".repeat(32);

/** A value of a bulk row: text, a number, a flag, a time (ms since the epoch, `at`), or null. */
type Value = string | number | boolean | null | { at: number };
const at = (ms: number) => ({ at: ms });

/**
 * The bulk tables, in an order where every row's parents come earlier, with their columns in
 * the order the generator gives them and, for PostgreSQL, each column's type.
 */
const TABLES = {
  users: { name: "users", columns: { id: "text", login: "text", name: "text", created_at: "timestamptz" } },
  memberships: { name: "memberships", columns: { organization_id: "text", user_id: "text", role: "text", created_at: "timestamptz" } },
  stacks: {
    name: "stacks",
    columns: {
      id: "text",
      organization_id: "text",
      project: "text",
      name: "text",
      created_by_user_id: "text",
      created_at: "timestamptz",
      last_updated_at: "timestamptz",
      resource_count: "int4",
    },
  },
  tags: { name: "stack_tags", columns: { stack_id: "text", name: "text", value: "text" } },
  updates: {
    name: "stack_updates",
    columns: {
      id: "text",
      stack_id: "text",
      version: "int4",
      kind: "text",
      is_preview: "bool",
      status: "text",
      message: "text",
      started_at: "timestamptz",
      ended_at: "timestamptz",
      requested_by_user_id: "text",
      requested_by_token_id: "text",
      requested_by: "text",
      resource_changes: "jsonb",
    },
  },
  events: {
    name: "update_events",
    columns: { update_id: "text", sequence: "int4", timestamp: "timestamptz", type: "text", payload: "text" },
  },
  teams: {
    name: "teams",
    columns: { id: "text", organization_id: "text", name: "text", display_name: "text", description: "text", created_at: "timestamptz" },
  },
  teamMembers: { name: "team_members", columns: { team_id: "text", user_id: "text" }, ignoreDuplicates: true },
  grants: { name: "team_stack_grants", columns: { team_id: "text", stack_id: "text", permission: "text" }, ignoreDuplicates: true },
  tokens: {
    name: "access_tokens",
    columns: {
      id: "text",
      kind: "text",
      secret_hash: "text",
      user_id: "text",
      organization_id: "text",
      name: "text",
      description: "text",
      created_by_user_id: "text",
      created_at: "timestamptz",
    },
  },
  audit: {
    name: "audit_events",
    columns: {
      organization_id: "text",
      timestamp: "timestamptz",
      event: "text",
      description: "text",
      source_ip: "text",
      user_agent: "text",
      user_id: "text",
      user_login: "text",
      user_name: "text",
      user_avatar_url: "text",
      token_id: "text",
      token_name: "text",
      require_org_admin: "bool",
      require_stack_admin: "bool",
      auth_failure: "bool",
    },
  },
} as const satisfies Record<string, { name: string; columns: Record<string, string>; ignoreDuplicates?: boolean }>;

type Table = keyof typeof TABLES;
type Row = [Table, Value[]];

interface Principals {
  seeded: Seeded;
  orgId: string;
  adminUserId: string;
  memberUserId: string;
  orgTokenId: string;
}

/** The admin, the organization (BUSINESS_CRITICAL), the member and the org token, through the services. */
async function principals(store: Store): Promise<Principals> {
  const services = createServices(store, Buffer.from(BENCH_KEY, "hex"));
  const organization = "bench";
  const admin = await services.users.create({ login: "bench-admin", name: "Bench Admin" });
  const adminCaller = callerOf(admin.user, admin.token.row);
  await services.organizations.create(adminCaller, { name: organization });
  const org = await services.organizations.setSubscription(systemCaller("bench"), { organization, tier: "BUSINESS_CRITICAL" });
  const member = await services.users.create({ login: "bench-member", name: "Bench Member" });
  await services.members.add(adminCaller, org, { organization, login: "bench-member" });
  const orgToken = await services.tokens.createForOrganization(adminCaller, org, { organization, name: "bench-ci" });
  return {
    seeded: {
      organization,
      adminToken: admin.token.secret,
      memberToken: member.token.secret,
      orgToken: orgToken.secret,
      stack: { project: "web-api", name: "stack-0" }, // the first stack the bulk makes
      s5Version: 1,
    },
    orgId: org.id,
    adminUserId: admin.user.id,
    memberUserId: member.user.id,
    orgTokenId: orgToken.row.id,
  };
}

/** Every bulk row, parents before children. */
function* bulk(scale: Scale, p: Principals): Generator<Row> {
  const now = Date.now();
  const users: string[] = [];
  for (let i = 0; i < scale.members; i++) {
    const id = nanoid();
    yield ["users", [id, `user-${i}`, `User ${i}`, at(now)]];
    yield ["memberships", [p.orgId, id, "MEMBER", at(now)]];
    users.push(id);
  }
  const stackIds: string[] = [];
  const projects = ["web-api", "billing", "network", "data", "auth", "frontend", "search", "mail"];
  for (let i = 0; i < scale.stacks; i++) {
    const id = nanoid();
    const project = projects[i % projects.length]!;
    yield ["stacks", [id, p.orgId, project, `stack-${i}`, p.adminUserId, at(now - 86_400_000), at(now - (i % 1000) * 1000), 10 + (i % 40)]];
    yield ["tags", [id, "pulumi:project", project]];
    yield ["tags", [id, "env", ["dev", "staging", "prod"][i % 3]!]];
    yield ["tags", [id, "owner", `team-${i % 20}`]];
    yield ["tags", [id, "cost-center", `cc-${1000 + (i % 50)}`]];
    yield ["tags", [id, "vcs:repo", `acme/${project}`]];
    stackIds.push(id);
  }
  // the first update of the first stack holds 1,000 events (S5); the rest share the others evenly
  const others = scale.stacks * scale.updatesPerStack - 1;
  const spread = scale.updateEvents - 1000;
  let index = 0;
  for (let s = 0; s < stackIds.length; s++) {
    for (let v = 1; v <= scale.updatesPerStack; v++) {
      const id = nanoid();
      const preview = v % 5 === 2;
      yield [
        "updates",
        [
          id,
          stackIds[s]!,
          v,
          preview ? "PREVIEW" : "UPDATE",
          preview,
          "SUCCEEDED",
          `deploy ${v}`,
          at(now - 3600_000),
          at(now - 3500_000),
          null,
          p.orgTokenId,
          "bench-ci",
          JSON.stringify({ create: v, update: 2, delete: 0, same: 30, replace: 0 }),
        ],
      ];
      const n = s === 0 && v === 1 ? 1000 : Math.floor(((index + 1) * spread) / others) - Math.floor((index * spread) / others);
      if (!(s === 0 && v === 1)) index++;
      for (let e = 0; e < n; e++) {
        yield [
          "events",
          [
            id,
            e,
            at(now),
            e % 3 === 0 ? "resourcePreEvent" : "stdoutEvent",
            JSON.stringify({
              message: `step ${e} of update ${v}`,
              urn: `urn:pulumi:prod::app::aws:s3/bucket:Bucket::b${e}`,
              color: "never",
            }),
          ],
        ];
      }
    }
  }
  for (let t = 0; t < scale.teams; t++) {
    const id = nanoid();
    yield ["teams", [id, p.orgId, `team-${t}`, `Team ${t}`, null, at(now)]];
    for (let m = 0; m < 5; m++) yield ["teamMembers", [id, users[(t * 5 + m) % users.length]!]];
    for (let g = 0; g < 10; g++)
      yield ["grants", [id, stackIds[(t * 37 + g * 101) % stackIds.length]!, ["READ", "WRITE", "ADMIN"][g % 3]!]];
    // the benchmark member is in two teams, each with grants
    if (t < 2) yield ["teamMembers", [id, p.memberUserId]];
  }
  for (let k = 0; k < scale.tokens; k++) {
    const org = k % 5 === 0;
    yield [
      "tokens",
      [
        randomUUID(),
        org ? "ORGANIZATION" : "PERSONAL",
        hashSecret(generateSecret(org ? "ORGANIZATION" : "PERSONAL")),
        org ? null : users[k % users.length]!,
        org ? p.orgId : null,
        org ? `token-${k}` : null,
        "bench",
        p.adminUserId,
        at(now),
      ],
    ];
  }
  const kinds = [
    "stack-update-started",
    "stack-update-completed",
    "stack-tag-set",
    "stack-created",
    "member-added",
    "auth-failure-stack-permission",
  ];
  for (let a = 0; a < scale.auditEvents; a++) {
    const event = kinds[a % kinds.length]!;
    const byToken = a % 2 === 0;
    yield [
      "audit",
      [
        p.orgId,
        at(now - (scale.auditEvents - a) * 10),
        event,
        `Bench event ${a} on stack "bench/web-api/stack-${a % scale.stacks}"`,
        "198.51.100.7",
        "bench/1.0",
        byToken ? null : users[a % users.length]!,
        byToken ? null : `user-${a % scale.members}`,
        byToken ? null : `User ${a % scale.members}`,
        null,
        byToken ? p.orgTokenId : null,
        byToken ? "bench-ci" : null,
        event === "member-added",
        false,
        event.startsWith("auth-failure"),
      ],
    ];
  }
}

/** The SQLite file at `databasePath`, seeded (synchronous=OFF while seeding; checkpointed and analysed). */
export async function seed(databasePath: string, scale: Scale): Promise<Seeded> {
  const store = SqliteStore.open(databasePath, { synchronous: "OFF" });
  const p = await principals(store);
  const sqlite = store.connection;
  const statements = Object.fromEntries(
    Object.entries(TABLES).map(([key, t]) => {
      const columns = Object.keys(t.columns);
      const verb = "ignoreDuplicates" in t ? "insert or ignore" : "insert";
      return [key, sqlite.prepare(`${verb} into ${t.name} (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`)];
    }),
  ) as Record<Table, Statement<unknown[]>>;
  // as the SQLite schema stores them: times as ms integers, flags as 0/1
  const sqliteValue = (v: Value) => (typeof v === "boolean" ? (v ? 1 : 0) : v !== null && typeof v === "object" ? v.at : v);
  sqlite.exec("BEGIN");
  try {
    for (const [table, row] of bulk(scale, p)) statements[table].run(...row.map(sqliteValue));
    sqlite.exec("COMMIT");
  } catch (error) {
    if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
    throw error;
  }
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.exec("ANALYZE");
  const lost = await store.close();
  if (lost) throw lost;
  return p.seeded;
}

/** Rows a PostgreSQL statement of the seed inserts. */
const BATCH = 5_000;

/**
 * The migrated PostgreSQL database at `url`, seeded: the principals through a PostgresStore,
 * the bulk in batches of BATCH rows per statement (one statement per table at a time,
 * parents first; synchronous_commit off for the seeding session), then VACUUM ANALYZE.
 */
export async function seedPostgres(url: string, scale: Scale): Promise<Seeded> {
  const store = new PostgresStore(poolConnection(new pg.Pool({ connectionString: url, max: 2 })));
  let p: Principals;
  try {
    p = await principals(store);
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET synchronous_commit = off");
    const buffers = Object.fromEntries(Object.keys(TABLES).map((key) => [key, [] as Value[][]])) as Record<Table, Value[][]>;
    const sqlText = Object.fromEntries(
      Object.entries(TABLES).map(([key, t]) => {
        const columns = Object.entries(t.columns);
        const conflict = "ignoreDuplicates" in t ? " on conflict do nothing" : "";
        return [
          key,
          `insert into ${t.name} (${columns.map(([c]) => c).join(", ")}) select * from unnest(${columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ")})${conflict}`,
        ];
      }),
    ) as Record<Table, string>;
    const pgValue = (v: Value) => (v !== null && typeof v === "object" ? new Date(v.at).toISOString() : v);
    // every buffer, parents first (TABLES' order), so a child row never precedes its parent
    const flush = async () => {
      for (const table of Object.keys(TABLES) as Table[]) {
        const rows = buffers[table];
        if (rows.length === 0) continue;
        const width = rows[0]!.length;
        const columns = Array.from({ length: width }, (_, c) => rows.map((row) => pgValue(row[c]!)));
        await client.query(sqlText[table], columns);
        buffers[table] = [];
      }
    };
    for (const [table, row] of bulk(scale, p)) {
      buffers[table].push(row);
      if (buffers[table].length >= BATCH) await flush();
    }
    await flush();
    await client.query("VACUUM ANALYZE");
  } finally {
    await client.end();
  }
  return p.seeded;
}
