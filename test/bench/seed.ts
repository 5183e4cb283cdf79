// Seeds a benchmark database: the principals through the services (so their tokens work),
// the bulk through prepared statements in one transaction (rows shaped as the services write
// them). Scale "large": 10,000 stacks × 5 tags, 50,000 updates, 500,000 update events,
// 1,000,000 audit events, 1,000 members, 200 teams with grants, 5,000 tokens.
import { randomUUID } from "node:crypto";
import { nanoid } from "nanoid";
import { systemCaller } from "../../src/auth/principal.js";
import { hashSecret, generateSecret } from "../../src/lib/token-secret.js";
import { openDatabase } from "../../src/db/client.js";
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

export async function seed(databasePath: string, scale: Scale): Seeded {
  const db = openDatabase(databasePath, { synchronous: "OFF" });
  const sqlite = db.$client;
  const services = createServices(db, Buffer.from(BENCH_KEY, "hex"));
  const organization = "bench";
  const admin = await services.users.create({ login: "bench-admin", name: "Bench Admin" });
  const adminCaller = callerOf(admin.user, admin.token.row);
  await services.organizations.create(adminCaller, { name: organization });
  const org = await services.organizations.setSubscription(systemCaller("bench"), { organization, tier: "BUSINESS_CRITICAL" });
  const member = await services.users.create({ login: "bench-member", name: "Bench Member" });
  await services.members.add(adminCaller, org, { organization, login: "bench-member" });
  const orgToken = await services.tokens.createForOrganization(adminCaller, org, { organization, name: "bench-ci" });

  const now = Date.now();
  const insert = {
    user: sqlite.prepare(
      "insert into users (id, login, name, email, avatar_url, is_site_admin, created_at) values (?, ?, ?, null, null, 0, ?)",
    ),
    member: sqlite.prepare("insert into memberships (organization_id, user_id, role, created_at) values (?, ?, 'MEMBER', ?)"),
    team: sqlite.prepare(
      "insert into teams (id, organization_id, name, display_name, description, created_at) values (?, ?, ?, ?, null, ?)",
    ),
    teamMember: sqlite.prepare("insert or ignore into team_members (team_id, user_id) values (?, ?)"),
    grant: sqlite.prepare("insert or ignore into team_stack_grants (team_id, stack_id, permission) values (?, ?, ?)"),
    stack: sqlite.prepare(
      "insert into stacks (id, organization_id, project, name, created_by_user_id, created_at, last_updated_at, resource_count) values (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    tag: sqlite.prepare("insert into stack_tags (stack_id, name, value) values (?, ?, ?)"),
    update: sqlite.prepare(
      "insert into stack_updates (id, stack_id, version, kind, is_preview, status, message, started_at, ended_at, requested_by_user_id, requested_by_token_id, requested_by, resource_changes) values (?, ?, ?, ?, ?, 'SUCCEEDED', ?, ?, ?, null, ?, 'bench-ci', ?)",
    ),
    event: sqlite.prepare("insert into update_events (update_id, sequence, timestamp, type, payload) values (?, ?, ?, ?, ?)"),
    token: sqlite.prepare(
      "insert into access_tokens (id, kind, secret_hash, user_id, organization_id, name, description, created_by_user_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    audit: sqlite.prepare(
      "insert into audit_events (organization_id, timestamp, event, description, source_ip, user_agent, user_id, user_login, user_name, user_avatar_url, token_id, token_name, require_org_admin, require_stack_admin, auth_failure) values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?, 0, ?)",
    ),
  };

  let first: Seeded["stack"] | null = null;
  sqlite.transaction(() => {
    const users: string[] = [];
    for (let i = 0; i < scale.members; i++) {
      const id = nanoid();
      insert.user.run(id, `user-${i}`, `User ${i}`, now);
      insert.member.run(org.id, id, now);
      users.push(id);
    }
    const stackIds: string[] = [];
    const projects = ["web-api", "billing", "network", "data", "auth", "frontend", "search", "mail"];
    for (let i = 0; i < scale.stacks; i++) {
      const id = nanoid();
      const project = projects[i % projects.length]!;
      const name = `stack-${i}`;
      insert.stack.run(id, org.id, project, name, admin.user.id, now - 86_400_000, now - (i % 1000) * 1000, 10 + (i % 40));
      insert.tag.run(id, "pulumi:project", project);
      insert.tag.run(id, "env", ["dev", "staging", "prod"][i % 3]);
      insert.tag.run(id, "owner", `team-${i % 20}`);
      insert.tag.run(id, "cost-center", `cc-${1000 + (i % 50)}`);
      insert.tag.run(id, "vcs:repo", `acme/${project}`);
      stackIds.push(id);
      if (!first) first = { project, name };
    }
    // the first update of the first stack holds 1,000 events (S5); the rest share the others evenly
    const others = scale.stacks * scale.updatesPerStack - 1;
    const spread = scale.updateEvents - 1000;
    let index = 0;
    stackIds.forEach((stackId, s) => {
      for (let v = 1; v <= scale.updatesPerStack; v++) {
        const id = nanoid();
        const preview = v % 5 === 2;
        insert.update.run(
          id,
          stackId,
          v,
          preview ? "PREVIEW" : "UPDATE",
          preview ? 1 : 0,
          `deploy ${v}`,
          now - 3600_000,
          now - 3500_000,
          orgToken.row.id,
          JSON.stringify({ create: v, update: 2, delete: 0, same: 30, replace: 0 }),
        );
        const n = s === 0 && v === 1 ? 1000 : Math.floor(((index + 1) * spread) / others) - Math.floor((index * spread) / others);
        if (!(s === 0 && v === 1)) index++;
        for (let e = 0; e < n; e++) {
          insert.event.run(
            id,
            e,
            now,
            e % 3 === 0 ? "resourcePreEvent" : "stdoutEvent",
            JSON.stringify({
              message: `step ${e} of update ${v}`,
              urn: `urn:pulumi:prod::app::aws:s3/bucket:Bucket::b${e}`,
              color: "never",
            }),
          );
        }
      }
    });
    const memberId = member.user.id;
    for (let t = 0; t < scale.teams; t++) {
      const id = nanoid();
      insert.team.run(id, org.id, `team-${t}`, `Team ${t}`, now);
      for (let m = 0; m < 5; m++) insert.teamMember.run(id, users[(t * 5 + m) % users.length]);
      for (let g = 0; g < 10; g++) insert.grant.run(id, stackIds[(t * 37 + g * 101) % stackIds.length], ["READ", "WRITE", "ADMIN"][g % 3]);
      // the benchmark member is in two teams, each with grants
      if (t < 2) insert.teamMember.run(id, memberId);
    }
    for (let k = 0; k < scale.tokens; k++) {
      const org_ = k % 5 === 0;
      insert.token.run(
        randomUUID(),
        org_ ? "ORGANIZATION" : "PERSONAL",
        hashSecret(generateSecret(org_ ? "ORGANIZATION" : "PERSONAL")),
        org_ ? null : users[k % users.length],
        org_ ? org.id : null,
        org_ ? `token-${k}` : null,
        "bench",
        admin.user.id,
        now,
      );
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
      insert.audit.run(
        org.id,
        now - (scale.auditEvents - a) * 10,
        event,
        `Bench event ${a} on stack "bench/web-api/stack-${a % scale.stacks}"`,
        "198.51.100.7",
        "bench/1.0",
        byToken ? null : users[a % users.length],
        byToken ? null : `user-${a % scale.members}`,
        byToken ? null : `User ${a % scale.members}`,
        byToken ? orgToken.row.id : null,
        byToken ? "bench-ci" : null,
        event === "member-added" ? 1 : 0,
        event.startsWith("auth-failure") ? 1 : 0,
      );
    }
  })();
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  sqlite.exec("ANALYZE");
  sqlite.close();
  return {
    organization,
    adminToken: admin.token.secret,
    memberToken: member.token.secret,
    orgToken: orgToken.secret,
    stack: first!,
    s5Version: 1,
  };
}
