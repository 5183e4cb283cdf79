// The lists that grow without bound, paged (issue 13): organization tokens (revoked ones on
// request), teams, team members, team stack grants, webhooks, personal tokens. Each is a
// keyset-paged connection with totalCount in a documented order, its cursors signed and bound
// to the list and its parent; the organization-level lists are served by an existing index.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEventsOf, expectError, expectFieldError, expectOk } from "./support/assertions.js";
import {
  addMember,
  createOrg,
  createOrgToken,
  createStack,
  createTeam,
  createUser,
  grant,
  type OrgFixture,
  uniqueName,
} from "./support/factories.js";
import type { SqliteStore } from "../src/db/sqlite/store.js";
import { startTestServer, testBackend, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn" });
});
afterAll(() => server.close());

const PAGE = "totalCount pageInfo { hasNextPage endCursor }";

/** Every page of a connection, `first` at a time, through `read(after)`. */
async function allPages<T>(
  read: (after: string | null) => Promise<{ nodes: T[]; totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>,
) {
  const pages: T[][] = [];
  let after: string | null = null;
  let totalCount = -1;
  for (;;) {
    const page = await read(after);
    totalCount = page.totalCount;
    pages.push(page.nodes);
    if (!page.pageInfo.hasNextPage) return { pages, totalCount };
    after = page.pageInfo.endCursor;
  }
}

async function orgQuery(token: string, org: OrgFixture, selection: string, variables: Record<string, unknown> = {}) {
  const declared = Object.keys(variables)
    .map((name) => `, $${name}: ${name === "first" ? "Int" : name === "all" ? "Boolean" : "String"}`)
    .join("");
  const res = await server.gql(
    `query ($org: String!${declared}) { organization(name: $org) { ${selection} } }`,
    { org: org.name, ...variables },
    { token },
  );
  return res;
}

describe("Organization.teamsConnection", () => {
  it("pages by name ignoring case; a team created meanwhile after the cursor is listed, once", async () => {
    const org = await createOrg(server);
    for (const name of ["delta", "Alpha", "charlie", "Bravo", "echo"])
      await createTeam(server, org, { name: `${name}-${org.name}`.slice(0, 40) });
    const suffix = `-${org.name}`;
    const read = async (after: string | null) => {
      const res = await orgQuery(org.admin.token, org, `teamsConnection(first: $first, after: $after) { ${PAGE} nodes { name } }`, {
        first: 2,
        after,
      });
      expectOk(res);
      const page = res.body.data!.organization.teamsConnection;
      if (after === null) await createTeam(server, org, { name: `zulu${suffix}`.slice(0, 40) }); // lands after every cursor
      return page;
    };
    const { pages, totalCount } = await allPages(read);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    expect(pages.flat().map((t: any) => t.name.replace(suffix, "").slice(0, 7))).toEqual([
      "Alpha",
      "Bravo",
      "charlie",
      "delta",
      "echo",
      "zulu",
    ]);
    expect(totalCount).toBe(6);
  });

  it("refuses a tampered cursor and one of another list or organization (BAD_USER_INPUT about `after`)", async () => {
    const org = await createOrg(server);
    const other = await createOrg(server, { admin: org.admin });
    for (let i = 0; i < 3; i++) {
      await createTeam(server, org);
      await createTeam(server, other);
    }
    const first = await orgQuery(org.admin.token, org, `teamsConnection(first: 1) { ${PAGE} }`);
    const cursor = first.body.data!.organization.teamsConnection.pageInfo.endCursor as string;
    const [payload, mac] = cursor.split(".");
    const tampered = `${Buffer.from(JSON.stringify(["a"])).toString("base64url")}.${mac}`;
    for (const after of [tampered, `${payload}.${"A".repeat(mac!.length)}`, "garbage"]) {
      expectFieldError(
        await orgQuery(org.admin.token, org, `teamsConnection(after: $after) { ${PAGE} }`, { after }),
        "BAD_USER_INPUT",
        "after",
      );
    }
    expectFieldError(
      await orgQuery(org.admin.token, other, `teamsConnection(after: $after) { ${PAGE} }`, { after: cursor }),
      "BAD_USER_INPUT",
      "after",
    );
    expectFieldError(
      await orgQuery(org.admin.token, org, `webhooksConnection(after: $after) { ${PAGE} }`, { after: cursor }),
      "BAD_USER_INPUT",
      "after",
    );
    for (const first of [0, 101])
      expectFieldError(
        await orgQuery(org.admin.token, org, `teamsConnection(first: $first) { ${PAGE} }`, { first }),
        "BAD_USER_INPUT",
        "first",
      );
  });
});

describe("Team.membersConnection and Team.stackGrantsConnection", () => {
  it("page each team's members by login and grants by project then stack, each team on its own", async () => {
    const org = await createOrg(server);
    const logins = ["m-Carol", "m-alice", "m-bob", "m-Dave"].map((l) => `${l}-${uniqueName("x")}`);
    const members = [];
    for (const login of logins) members.push(await addMember(server, org, "MEMBER", await createUser(server, { login })));
    const big = await createTeam(server, org, { members });
    const small = await createTeam(server, org, { members: [members[3]!] });
    const stacks = [
      await createStack(server, org, { project: "p2", name: "a" }),
      await createStack(server, org, { project: "p1", name: "b" }),
      await createStack(server, org, { project: "p1", name: "a" }),
    ];
    for (const s of stacks) await grant(server, org, big.name, s, "READ");
    await grant(server, org, small.name, stacks[0]!, "WRITE");
    const TEAMS = `query ($org: String!, $members: String, $grants: String) { organization(name: $org) { teamsConnection { nodes { name
      membersConnection(first: 2, after: $members) { ${PAGE} nodes { login } }
      stackGrantsConnection(first: 2, after: $grants) { ${PAGE} nodes { projectName stackName permission stack { fullyQualifiedName } } } } } } }`;
    const read = async (members: string | null, grants: string | null) => {
      const res = await server.gql(TEAMS, { org: org.name, members, grants }, { token: org.admin.token });
      expectOk(res);
      const byName = Object.fromEntries(res.body.data!.organization.teamsConnection.nodes.map((t: any) => [t.name, t]));
      return { big: byName[big.name], small: byName[small.name] };
    };
    const first = await read(null, null);
    const sorted = [...logins].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    expect(first.big.membersConnection).toMatchObject({
      totalCount: 4,
      pageInfo: { hasNextPage: true },
      nodes: sorted.slice(0, 2).map((login) => ({ login })),
    });
    expect(first.small.membersConnection).toMatchObject({ totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [{ login: logins[3] }] });
    expect(first.big.stackGrantsConnection).toMatchObject({
      totalCount: 3,
      pageInfo: { hasNextPage: true },
      nodes: [
        { projectName: "p1", stackName: "a", permission: "READ", stack: { fullyQualifiedName: `${org.name}/p1/a` } },
        { projectName: "p1", stackName: "b" },
      ],
    });
    expect(first.small.stackGrantsConnection).toMatchObject({
      totalCount: 1,
      nodes: [{ projectName: "p2", stackName: "a", permission: "WRITE" }],
    });
    // the next page of the big team, through Organization.team: a cursor is bound to its team
    const TEAM = `query ($org: String!, $team: String!, $members: String, $grants: String) { organization(name: $org) { team(name: $team) {
      membersConnection(first: 2, after: $members) { ${PAGE} nodes { login } }
      stackGrantsConnection(first: 2, after: $grants) { ${PAGE} nodes { projectName stackName } } } } }`;
    const cursors = { members: first.big.membersConnection.pageInfo.endCursor, grants: first.big.stackGrantsConnection.pageInfo.endCursor };
    const next = await server.gql(TEAM, { org: org.name, team: big.name, ...cursors }, { token: org.admin.token });
    expectOk(next);
    const { membersConnection, stackGrantsConnection } = next.body.data!.organization.team;
    expect(membersConnection).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: sorted.slice(2).map((login) => ({ login })) });
    expect(stackGrantsConnection.nodes).toMatchObject([{ projectName: "p2", stackName: "a" }]);
    const foreign = await server.gql(TEAM, { org: org.name, team: small.name, members: cursors.members }, { token: org.admin.token });
    expectFieldError(foreign, "BAD_USER_INPUT", "after");
  });
});

describe("Organization.accessTokensConnection", () => {
  it("pages the organization's tokens by name; revoked ones only with includeDeleted", async () => {
    const org = await createOrg(server);
    const names = ["ci-b", "CI-a", "deploy", "ci-c"].map((n) => `${n}-${uniqueName("t")}`.slice(0, 40));
    const tokens = [];
    for (const name of names) tokens.push(await createOrgToken(server, org, { name }));
    const REVOKE = `mutation ($input: RevokeOrganizationAccessTokenInput!) { revokeOrganizationAccessToken(input: $input) { name deletedAt } }`;
    const revoked = await server.gql(REVOKE, { input: { organization: org.name, id: tokens[2]!.row.id } }, { token: org.admin.token });
    expectOk(revoked);
    const sorted = [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
    const read = (all: boolean) => async (after: string | null) => {
      const res = await orgQuery(
        org.admin.token,
        org,
        `accessTokensConnection(first: $first, after: $after, includeDeleted: $all) { ${PAGE} nodes { name deletedAt } }`,
        { first: 2, after, all },
      );
      expectOk(res);
      return res.body.data!.organization.accessTokensConnection;
    };
    const live = await allPages(read(false));
    expect(live.totalCount).toBe(3);
    expect(live.pages.flat().map((t: any) => t.name)).toEqual(sorted.filter((n) => n !== names[2]));
    const every = await allPages(read(true));
    expect(every.totalCount).toBe(4);
    expect(every.pages.flat().map((t: any) => t.name)).toEqual(sorted);
    expect((every.pages.flat().find((t: any) => t.name === names[2]) as any).deletedAt).toBe(
      revoked.body.data!.revokeOrganizationAccessToken.deletedAt,
    );
  });

  it("is non-null for admins; for anyone else a FORBIDDEN error that nulls the organization", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const { token } = await createOrgToken(server, org);
    for (const caller of [member.token, token]) {
      const res = await orgQuery(caller, org, `name accessTokensConnection { totalCount }`);
      expectError(res, "FORBIDDEN");
      expect(res.body.data).toEqual({ organization: null });
    }
  });
});

describe("revokePersonalAccessToken and revokeOrganizationAccessToken", () => {
  it("return the revoked token; a repeat (a retry) returns it unchanged and audits nothing more", async () => {
    const org = await createOrg(server);
    const target = await createOrgToken(server, org);
    const REVOKE = `mutation ($input: RevokeOrganizationAccessTokenInput!) { revokeOrganizationAccessToken(input: $input) { id name deletedAt } }`;
    const input = { organization: org.name, id: target.row.id };
    const first = await server.gql(REVOKE, { input }, { token: org.admin.token });
    expectOk(first);
    expect(first.body.data!.revokeOrganizationAccessToken).toMatchObject({ id: target.row.id, deletedAt: expect.stringMatching(/Z$/) });
    const events = (await auditEventsOf(server, org.organization.id)).length;
    expect((await server.gql(REVOKE, { input }, { token: org.admin.token })).body).toEqual(first.body);
    expect(await auditEventsOf(server, org.organization.id)).toHaveLength(events);
    expect((await server.gql("{ viewer { kind } }", {}, { token: target.token })).status).toBe(401);
    expectError(
      await server.gql(
        REVOKE,
        { input: { organization: org.name, id: "00000000-0000-4000-8000-000000000000" } },
        { token: org.admin.token },
      ),
      "NOT_FOUND",
    );
    // the deprecated form still treats a revoked token as gone
    expectError(
      await server.gql(
        `mutation ($org: String!, $id: ID!) { deleteOrganizationAccessToken(organization: $org, id: $id) }`,
        { org: org.name, id: target.row.id },
        { token: org.admin.token },
      ),
      "NOT_FOUND",
    );

    const alice = await createUser(server);
    const bob = await createUser(server);
    const laptop = await server.app.services.tokens.createPersonal(alice.caller, { description: "laptop" });
    const REVOKE_PAT = `mutation ($input: RevokePersonalAccessTokenInput!) { revokePersonalAccessToken(input: $input) { id description deletedAt } }`;
    expectError(await server.gql(REVOKE_PAT, { input: { id: laptop.row.id } }, { token: bob.token }), "NOT_FOUND");
    const mine = await server.gql(REVOKE_PAT, { input: { id: laptop.row.id } }, { token: alice.token });
    expectOk(mine);
    expect(mine.body.data!.revokePersonalAccessToken).toMatchObject({
      id: laptop.row.id,
      description: "laptop",
      deletedAt: expect.stringMatching(/Z$/),
    });
    expect((await server.gql(REVOKE_PAT, { input: { id: laptop.row.id } }, { token: alice.token })).body).toEqual(mine.body);
    expect((await server.gql("{ viewer { kind } }", {}, { token: laptop.secret })).status).toBe(401);
  });
});

describe("personal access tokens", () => {
  it("keep their revoked history: personalAccessTokens and its connection list them with includeDeleted", async () => {
    const alice = await createUser(server);
    const rows = [];
    for (const description of ["one", "two", "three"]) {
      await new Promise((resolve) => setTimeout(resolve, 3)); // creation times apart: the order is by creation time
      rows.push((await server.app.services.tokens.createPersonal(alice.caller, { description })).row);
    }
    await server.app.services.tokens.revokePersonal(alice.caller, rows[1]!.id);
    const LIST = `query ($all: Boolean) { personalAccessTokens(includeDeleted: $all) { description deletedAt } }`;
    const live = await server.gql(LIST, {}, { token: alice.token });
    expect(live.body.data!.personalAccessTokens.map((t: any) => t.description)).toEqual([
      "First token, issued with the account",
      "one",
      "three",
    ]);
    const every = await server.gql(LIST, { all: true }, { token: alice.token });
    expect(every.body.data!.personalAccessTokens.map((t: any) => [t.description, t.deletedAt !== null])).toEqual([
      ["First token, issued with the account", false],
      ["one", false],
      ["two", true],
      ["three", false],
    ]);
    const CONNECTION = `query ($after: String, $all: Boolean) { personalAccessTokensConnection(first: 3, after: $after, includeDeleted: $all) { ${PAGE} nodes { description } } }`;
    const paged = await allPages(async (after) => {
      const res = await server.gql(CONNECTION, { after, all: true }, { token: alice.token });
      expectOk(res);
      return res.body.data!.personalAccessTokensConnection;
    });
    expect(paged.pages.map((p) => p.map((t: any) => t.description))).toEqual([
      ["First token, issued with the account", "one", "two"],
      ["three"],
    ]);
    expect(paged.totalCount).toBe(4);
    const liveCount = await server.gql(CONNECTION, {}, { token: alice.token });
    expect(liveCount.body.data!.personalAccessTokensConnection.totalCount).toBe(3);
  });
});

describe("Organization.webhooksConnection", () => {
  it("pages webhooks by name; non-null for admins and tokens, refused to members", async () => {
    const org = await createOrg(server);
    const names = ["hook-b", "Hook-a", "hook-c"];
    for (const name of names)
      await server.app.services.webhooks.create(org.admin.caller, org.organization, {
        organization: org.name,
        name,
        payloadUrl: "https://example.test/h",
      });
    const { token } = await createOrgToken(server, org);
    for (const caller of [org.admin.token, token]) {
      const { pages, totalCount } = await allPages(async (after) => {
        const res = await orgQuery(caller, org, `webhooksConnection(first: $first, after: $after) { ${PAGE} nodes { name hasSecret } }`, {
          first: 2,
          after,
        });
        expectOk(res);
        return res.body.data!.organization.webhooksConnection;
      });
      expect(pages.flat().map((w: any) => w.name)).toEqual(["Hook-a", "hook-b", "hook-c"]);
      expect(totalCount).toBe(3);
    }
    const member = await addMember(server, org);
    const refused = await orgQuery(member.token, org, "webhooksConnection { totalCount }");
    expectError(refused, "FORBIDDEN");
    expect(refused.body.data).toEqual({ organization: null });
  });
});

const sqliteOf = (s: TestServer) => (s.app.store as SqliteStore).connection;

/** An organization with one team, one token and one webhook. */
async function orgWithLists(): Promise<OrgFixture> {
  const org = await createOrg(server);
  await createTeam(server, org);
  await createOrgToken(server, org);
  await server.app.services.webhooks.create(org.admin.caller, org.organization, {
    organization: org.name,
    name: "plan",
    payloadUrl: "https://example.test/h",
  });
  return org;
}

/** A second page of each organization-level list: the queries with a keyset cursor. */
async function pageTheLists(org: OrgFixture): Promise<void> {
  const cursorOf = async (field: string) =>
    (await orgQuery(org.admin.token, org, `${field}(first: 1) { ${PAGE} }`)).body.data!.organization[field].pageInfo.endCursor as string;
  for (const field of ["teamsConnection", "webhooksConnection", "accessTokensConnection"]) {
    const after = await cursorOf(field);
    expectOk(await orgQuery(org.admin.token, org, `${field}(first: 5, after: $after) { nodes { __typename } }`, { after }));
  }
}

const LIST_TABLES = ["teams", "webhooks", "access_tokens"] as const;

function expectIndexedPlans(plans: Map<string, string>, sortNode: RegExp): void {
  expect(plans.get("teams")).toMatch(/teams_name_unique/);
  expect(plans.get("webhooks")).toMatch(/webhooks_name_unique/);
  expect(plans.get("access_tokens")).toMatch(/access_tokens_org_name_unique/);
  for (const [table, plan] of plans) expect(plan, table).not.toMatch(sortNode);
}

describe("query plans", () => {
  // EXPLAIN QUERY PLAN of the statements better-sqlite3 ran
  it.skipIf(testBackend() !== "sqlite")("SQLite: page the organization-level lists through an existing index, with no sort", async () => {
    const org = await orgWithLists();
    const seen: Array<{ source: string; args: unknown[] }> = [];
    const proto = Object.getPrototypeOf(sqliteOf(server).prepare("select 1")) as Record<string, (...a: unknown[]) => unknown>;
    const original = proto.all!;
    proto.all = function (this: { source: string }, ...args: unknown[]) {
      seen.push({ source: this.source, args });
      return original.apply(this, args);
    };
    try {
      await pageTheLists(org);
    } finally {
      proto.all = original;
    }
    const plans = new Map<string, string>();
    for (const table of LIST_TABLES) {
      const page = seen
        .filter((s) => s.source.includes(`from "${table}"`) && /order by lower/i.test(s.source) && /> \?/.test(s.source))
        .at(-1);
      expect(page, table).toBeDefined();
      const plan = sqliteOf(server)
        .prepare(`EXPLAIN QUERY PLAN ${page!.source}`)
        .all(...page!.args) as Array<{ detail: string }>;
      plans.set(table, plan.map((p) => p.detail).join(" | "));
    }
    expectIndexedPlans(plans, /TEMP B-TREE/);
    for (const table of LIST_TABLES) expect(plans.get(table)).toMatch(/USING INDEX/);
  });

  // The statements the pg clients (or PGlite) ran, explained with sequential scans, bitmap scans
  // and sorts priced out: on tables this small the planner would otherwise scan them, so what
  // is checked is that an index can serve the filter and the order of each page, as on SQLite.
  it.skipIf(testBackend() !== "postgres")(
    "PostgreSQL: page the organization-level lists through an existing index, with no sort",
    async () => {
      const org = await orgWithLists();
      const postgres = server.postgres!;
      const seen: Array<{ source: string; args: unknown[] }> = [];
      const note = (query: unknown, values: unknown) => {
        const text = typeof query === "string" ? query : (query as { text?: string } | null)?.text;
        const args = typeof query === "string" ? values : ((query as { values?: unknown[] }).values ?? values);
        if (typeof text === "string") seen.push({ source: text, args: Array.isArray(args) ? args : [] });
      };
      let restore: () => void;
      if (postgres.pglite) {
        const pglite = postgres.pglite;
        const original = pglite.query.bind(pglite);
        pglite.query = ((query: string, params?: unknown[], options?: object) => {
          note(query, params);
          return original(query, params, options);
        }) as typeof pglite.query;
        restore = () => {
          delete (pglite as unknown as Record<string, unknown>).query;
        };
      } else {
        const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
        const original = proto.query;
        proto.query = function (this: unknown, ...args: unknown[]) {
          note(args[0], args[1]);
          return original.apply(this, args);
        };
        restore = () => {
          proto.query = original;
        };
      }
      try {
        await pageTheLists(org);
      } finally {
        restore();
      }
      const explain = async (text: string, args: unknown[]) => {
        const settings = ["enable_seqscan", "enable_bitmapscan", "enable_sort"].map((s) => `SET LOCAL ${s} = off`);
        if (postgres.pglite) {
          return postgres.pglite.transaction(async (tx) => {
            for (const set of settings) await tx.query(set);
            return (await tx.query<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, args)).rows;
          });
        }
        const client = await postgres.pool!.connect();
        try {
          await client.query("BEGIN");
          for (const set of settings) await client.query(set);
          return (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${text}`, args)).rows;
        } finally {
          await client.query("ROLLBACK");
          client.release();
        }
      };
      const plans = new Map<string, string>();
      for (const table of LIST_TABLES) {
        const page = seen
          .filter((s) => s.source.includes(`from "${table}"`) && /order by lower/i.test(s.source) && /> \$\d+/.test(s.source))
          .at(-1);
        expect(page, table).toBeDefined();
        const plan = await explain(page!.source, page!.args);
        plans.set(table, plan.map((p) => p["QUERY PLAN"].trim()).join(" | "));
      }
      expectIndexedPlans(plans, /\bSort\b/);
      for (const table of LIST_TABLES) expect(plans.get(table)).toMatch(/Index (Only )?Scan/);
    },
  );
});
