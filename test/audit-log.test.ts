import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Caller } from "../src/auth/principal.js";
import { CSV_HEADER } from "../src/modules/audit/audit-formats.js";
import { auditEventsOf, expectError, expectOk } from "./support/assertions.js";
import { addMember, createOrg, createOrgToken, createUser, type OrgFixture } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "warn", TRUSTED_PROXIES: "127.0.0.1" });
});
afterAll(() => server.close());

const EVENTS = `query ($org: String!, $first: Int, $after: String, $filter: AuditLogFilter) {
  organization(name: $org) {
    auditLogEvents(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor }
      nodes { id timestamp event description sourceIp userAgent user { login name avatarUrl } tokenName requireOrgAdmin requireStackAdmin authFailure }
    }
  }
}`;
const EXPORT = `query ($org: String!, $format: AuditLogExportFormat!, $since: DateTime, $until: DateTime) {
  organization(name: $org) { exportAuditLogEvents(format: $format, since: $since, until: $until) { format filename contentType eventCount content } }
}`;

/** Writes `n` audit events straight through the writer (one transaction), oldest first. */
async function writeEvents(
  org: OrgFixture,
  n: number,
  caller: Caller = org.admin.caller,
  describe = (i: number) => `event ${i}`,
  at?: (i: number) => Date,
) {
  await server.app.store.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      await server.app.services.audit.write(
        tx,
        caller,
        { organizationId: org.organization.id, event: "stack-tag-set", description: describe(i) },
        at ? at(i) : new Date(),
      );
    }
  });
}

async function allPages(org: OrgFixture, token: string, first: number, between?: (page: number) => void | Promise<void>) {
  const ids: string[] = [];
  let after: string | null = null;
  let page = 0;
  do {
    const res = await server.gql(EVENTS, { org: org.name, first, after }, { token });
    expectOk(res);
    const conn: any = res.body.data!.organization.auditLogEvents;
    ids.push(...conn.nodes.map((n: any) => n.id));
    after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
    await between?.(page++);
  } while (after);
  return ids;
}

describe("Organization.auditLogEvents", () => {
  it("pages 1,000 events newest first; events written between pages are neither skipped nor repeated", async () => {
    const org = await createOrg(server);
    await writeEvents(org, 1000);
    const total = (await auditEventsOf(server, org.organization.id)).length;
    const ids = await allPages(org, org.admin.token, 97, () => writeEvents(org, 3));
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    const numeric = ids.map(Number);
    expect(numeric).toEqual([...numeric].sort((a, b) => b - a));
  });

  it("filters by time range, event, user login, token name and auth failure, with totalCount to match", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const bot = await createOrgToken(server, org, { name: "nightly" });
    const botCaller: Caller = {
      principal: { kind: "ORGANIZATION_TOKEN", token: bot.row, organization: org.organization },
      sourceIp: "10.0.0.9",
      userAgent: "ci",
      requestId: null,
    };
    const t0 = Date.UTC(2030, 0, 1);
    await writeEvents(
      org,
      10,
      org.admin.caller,
      (i) => `old ${i}`,
      (i) => new Date(t0 + i * 1000),
    );
    await writeEvents(
      org,
      4,
      botCaller,
      (i) => `bot ${i}`,
      (i) => new Date(t0 + 60_000 + i),
    );
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "x" }) { id } }`,
      { org: org.name },
      { token: member.token },
    );
    const run = async (filter: Record<string, unknown>) => {
      const res = await server.gql(EVENTS, { org: org.name, first: 1000, filter }, { token: org.admin.token });
      expectOk(res);
      const conn = res.body.data!.organization.auditLogEvents;
      expect(conn.totalCount).toBe(conn.nodes.length);
      return conn.nodes;
    };
    const range = await run({ since: new Date(t0 + 3000).toISOString(), until: new Date(t0 + 7000).toISOString() });
    expect(range.map((e: any) => e.description)).toEqual(["old 6", "old 5", "old 4", "old 3"]);
    expect((await run({ tokenName: "nightly" })).map((e: any) => e.description)).toEqual(["bot 3", "bot 2", "bot 1", "bot 0"]);
    const refusals = await run({ authFailure: true });
    expect(refusals).toMatchObject([{ event: "auth-failure-organization-role", user: { login: member.user.login }, authFailure: true }]);
    expect(await run({ userLogin: member.user.login.toUpperCase() })).toHaveLength(1);
    expect((await run({ event: "organization-token-created" })).map((e: any) => e.description)).toEqual([
      'Created organization access token "nightly"',
    ]);
    const byToken = (await run({ tokenName: "nightly" }))[0];
    expect(byToken).toMatchObject({ user: null, tokenName: "nightly", sourceIp: "10.0.0.9", userAgent: "ci" });
    expect((await run({ authFailure: false, userLogin: member.user.login })).length).toBe(0);
  });

  it("refuses bad filters and page sizes", async () => {
    const org = await createOrg(server);
    const token = org.admin.token;
    for (const vars of [
      { first: 1001 },
      { first: 0 },
      { filter: { event: "no-such-event" } },
      { filter: { since: "2030-01-02T00:00:00Z", until: "2030-01-01T00:00:00Z" } },
      { filter: { since: "yesterday" } },
      { after: "forged.cursor" },
    ]) {
      expectError(await server.gql(EVENTS, { org: org.name, ...vars }, { token }), "BAD_USER_INPUT");
    }
  });

  it("is for admins and org tokens: a member is refused (audited), an outsider sees no organization", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const { token } = await createOrgToken(server, org);
    expectOk(await server.gql(EVENTS, { org: org.name }, { token }));
    const refused = await server.gql(EVENTS, { org: org.name }, { token: member.token });
    expectError(refused, "FORBIDDEN");
    expect(refused.body.data!.organization.auditLogEvents).toBeNull();
    expect((await auditEventsOf(server, org.organization.id)).at(-1)).toMatchObject({
      event: "auth-failure-organization-role",
      userLogin: member.user.login,
    });
    const outsider = await server.gql(EVENTS, { org: org.name }, { token: (await createUser(server)).token });
    expect(outsider.body).toEqual({ data: { organization: null } });
  });

  it("records the client address from X-Forwarded-For only through a trusted proxy", async () => {
    const org = await createOrg(server);
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "via proxy" }) { id } }`,
      { org: org.name },
      {
        token: org.admin.token,
        headers: { "x-forwarded-for": "203.0.113.7" },
      },
    );
    expect((await auditEventsOf(server, org.organization.id)).at(-1)!.sourceIp).toBe("203.0.113.7");
    const untrusted = await startTestServer({ LOG_LEVEL: "warn" });
    try {
      const org2 = await createOrg(untrusted);
      await untrusted.gql(
        `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "spoof" }) { id } }`,
        { org: org2.name },
        {
          token: org2.admin.token,
          headers: { "x-forwarded-for": "203.0.113.7" },
        },
      );
      const [last] = await untrusted.sql<{ source_ip: string }>("select source_ip from audit_events order by id desc limit 1");
      expect(last!.source_ip).toBe("127.0.0.1");
    } finally {
      await untrusted.close();
    }
  });
});

const TRICKY = [
  "plain",
  "comma, inside",
  'a "quoted" word',
  "two\nlines",
  "crlf\r\nline",
  "naïve café — 日本語 ✓",
  '=HYPERLINK("http://127.0.0.1")',
  "+1",
  "-1",
  "@sum",
  "\tlead tab",
  "pipe | and = and \\ backslash",
];

function parseCef(line: string) {
  // header: 7 fields separated by unescaped |, then the extensions
  const fields: string[] = [];
  let current = "";
  let i = 0;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line[i]!;
    if (c === "\\" && (line[i + 1] === "|" || line[i + 1] === "\\")) current += line[++i];
    else if (c === "\\" && line[i + 1] === "n") {
      current += "\n";
      i++;
    } else if (c === "|") {
      fields.push(current);
      current = "";
    } else current += c;
  }
  const rest = line.slice(i);
  const extensions: Record<string, string> = {};
  const keys = [...rest.matchAll(/(?:^| )([A-Za-z]+)=/g)];
  keys.forEach((m, k) => {
    const start = m.index + m[0].length;
    const end = k + 1 < keys.length ? keys[k + 1]!.index : rest.length;
    extensions[m[1]!] = rest.slice(start, end).replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch));
  });
  return { fields, extensions };
}

describe("exports", () => {
  it("CSV parses back with an independent parser, descriptions intact and formulas defused", async () => {
    const org = await createOrg(server);
    const start = new Date(Date.now() + 60_000);
    await writeEvents(
      org,
      TRICKY.length,
      org.admin.caller,
      (i) => TRICKY[i]!,
      (i) => new Date(start.getTime() + i),
    );
    const res = await server.gql(EXPORT, { org: org.name, format: "CSV", since: start.toISOString() }, { token: org.admin.token });
    expectOk(res);
    const exported = res.body.data!.organization.exportAuditLogEvents;
    expect(exported).toMatchObject({ format: "CSV", contentType: "text/csv; charset=utf-8", eventCount: TRICKY.length });
    expect(exported.filename).toMatch(new RegExp(`^auditlog-${org.name}-.*\\.csv$`));
    expect(exported.content.startsWith(CSV_HEADER)).toBe(true);
    const records: string[][] = parse(exported.content, { relax_column_count: false });
    expect(records[0]).toEqual(CSV_HEADER.trim().split(","));
    const descriptions = records.slice(1).map((r) => r[4]);
    expect(descriptions).toEqual([
      "plain",
      "comma, inside",
      'a "quoted" word',
      "two\nlines",
      "crlf\r\nline",
      "naïve café — 日本語 ✓",
      `'=HYPERLINK("http://127.0.0.1")`,
      "'+1",
      "'-1",
      "'@sum",
      "'\tlead tab",
      "pipe | and = and \\ backslash",
    ]);
    expect(records[1]).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      org.admin.user.name,
      org.admin.user.login,
      "stack-tag-set",
      "plain",
      "127.0.0.1",
      "false",
      "false",
      "false",
      "",
      "",
    ]);
    // the export itself is audited, and is not in its own content
    const last = (await auditEventsOf(server, org.organization.id)).at(-1)!;
    expect(last.event).toBe("audit-log-exported");
    expect(exported.content).not.toContain("audit-log-exported");
  });

  it("CSV defuses a cell starting with CR: the exact bytes, in the GraphQL export and the streamed one", async () => {
    const org = await createOrg(server);
    const { name, login } = org.admin.user;
    const at = (i: number) => new Date(Date.UTC(2031, 0, 2, 3, 4, 5, i));
    const described = ["\rcr first", "\r\n=SUM(A1)", "mid\r=not first", "=1+2", "\ttab"];
    await writeEvents(org, described.length, org.admin.caller, (i) => described[i]!, at);
    const cells = ['"\'\rcr first"', '"\'\r\n=SUM(A1)"', '"mid\r=not first"', "'=1+2", "'\ttab"];
    const expected =
      "Timestamp,Name,Login,Event,Description,SourceIP,RequireOrgAdmin,RequireStackAdmin,AuthenticationFailure,TokenID,TokenName\r\n" +
      cells
        .map((cell, i) => `2031-01-02T03:04:05.00${i}Z,${name},${login},stack-tag-set,${cell},127.0.0.1,false,false,false,,\r\n`)
        .join("");
    const since = at(0).toISOString();
    const res = await server.gql(EXPORT, { org: org.name, format: "CSV", since }, { token: org.admin.token });
    expectOk(res);
    expect(res.body.data!.organization.exportAuditLogEvents.content).toBe(expected);
    const streamed = await server.app.fastify.inject({
      method: "GET",
      url: `/api/orgs/${org.name}/auditlogs/export?format=csv&since=${since}`,
      headers: { authorization: `token ${org.admin.token}` },
    });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toBe(expected);
  });

  it("CEF is one line per event with |, =, \\ and line breaks escaped, and parses back", async () => {
    const org = await createOrg(server);
    const bot = await createOrgToken(server, org, { name: "bot.1" });
    const caller: Caller = {
      principal: { kind: "ORGANIZATION_TOKEN", token: bot.row, organization: org.organization },
      sourceIp: "192.0.2.1",
      userAgent: "agent=x|y",
      requestId: null,
    };
    const start = new Date(Date.now() + 60_000);
    await writeEvents(
      org,
      TRICKY.length,
      caller,
      (i) => TRICKY[i]!,
      (i) => new Date(start.getTime() + i),
    );
    const res = await server.gql(EXPORT, { org: org.name, format: "CEF", since: start.toISOString() }, { token: org.admin.token });
    const content: string = res.body.data!.organization.exportAuditLogEvents.content;
    const lines = content.split("\n").filter(Boolean);
    expect(lines).toHaveLength(TRICKY.length);
    lines.forEach((line, i) => {
      const { fields, extensions } = parseCef(line);
      expect(fields).toEqual(["CEF:0", "Gatehouse", "Gatehouse", "1.0", "stack-tag-set", TRICKY[i]!.replace(/\r\n|\r/g, "\n"), "3"]);
      expect(Object.keys(extensions)).toEqual([
        "rt",
        "suser",
        "src",
        "orgID",
        "userID",
        "tokenID",
        "tokenName",
        "requireOrgAdmin",
        "requireStackAdmin",
        "authenticationFailure",
        "requestClientApplication",
      ]);
      expect(extensions).toMatchObject({
        suser: "",
        src: "192.0.2.1",
        orgID: org.organization.id,
        tokenID: bot.row.id,
        tokenName: "bot.1",
        requestClientApplication: "agent=x|y",
        authenticationFailure: "false",
      });
      expect(Number(extensions.rt)).toBeGreaterThan(start.getTime() - 1);
    });
  });

  it("severity is 7 for auth failures and 5 for admin events", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    await server.gql(
      `mutation ($org: String!) { updateOrganizationSettings(input: { organization: $org, displayName: "x" }) { id } }`,
      { org: org.name },
      { token: member.token },
    );
    const res = await server.gql(EXPORT, { org: org.name, format: "CEF" }, { token: org.admin.token });
    const severities = res.body
      .data!.organization.exportAuditLogEvents.content.split("\n")
      .filter(Boolean)
      .map((l: string) => [parseCef(l).fields[4], parseCef(l).fields[6]]);
    expect(severities).toContainEqual(["auth-failure-organization-role", "7"]);
    expect(severities).toContainEqual(["member-added", "5"]);
    expect(severities).toContainEqual(["organization-created", "3"]);
  });

  it("the GraphQL export refuses more than 10,000 events and points to the HTTP route", async () => {
    const org = await createOrg(server);
    await writeEvents(org, 10_001);
    const res = await server.gql(EXPORT, { org: org.name, format: "CSV" }, { token: org.admin.token });
    expectError(res, "BAD_USER_INPUT", /at most 10,000.*\/api\/orgs\/.*\/auditlogs\/export/);
  });
});

describe("GET /api/orgs/{org}/auditlogs/export", () => {
  const get = (org: string, query: string, token?: string) =>
    server.app.fastify.inject({
      method: "GET",
      url: `/api/orgs/${org}/auditlogs/export${query}`,
      headers: token ? { authorization: `token ${token}` } : {},
    });

  it("streams CSV or CEF, oldest first, as an attachment, for an admin or an org token", async () => {
    const org = await createOrg(server);
    const { token } = await createOrgToken(server, org);
    await writeEvents(org, 2500);
    const csv = await get(org.name, "?format=csv", org.admin.token);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.headers["content-disposition"]).toMatch(/^attachment; filename="auditlog-.*\.csv"$/);
    const rows: string[][] = parse(csv.body);
    expect(rows).toHaveLength(1 + Number(csv.headers["x-audit-event-count"]));
    expect(rows[1]![3]).toBe("organization-created");
    expect(rows.at(-1)![4]).toBe("event 2499");
    const cef = await get(org.name, "?format=cef", token);
    expect(cef.statusCode).toBe(200);
    expect(cef.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(cef.body.split("\n").filter(Boolean).length).toBe(Number(cef.headers["x-audit-event-count"]));
  });

  it("honours since and until", async () => {
    const org = await createOrg(server);
    const t0 = Date.UTC(2031, 5, 1);
    await writeEvents(
      org,
      10,
      org.admin.caller,
      (i) => `e${i}`,
      (i) => new Date(t0 + i * 60_000),
    );
    const res = await get(
      org.name,
      `?format=csv&since=${new Date(t0 + 120_000).toISOString()}&until=${new Date(t0 + 300_000).toISOString()}`,
      org.admin.token,
    );
    expect(
      parse(res.body)
        .slice(1)
        .map((r: string[]) => r[4]),
    ).toEqual(["e2", "e3", "e4"]);
  });

  it("answers 401 without a valid token, 403 for refusals (an unknown organization too), 400 for bad parameters", async () => {
    const org = await createOrg(server);
    const member = await addMember(server, org);
    const missing = await get(org.name, "");
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Token");
    expect((await get(org.name, "", "gtp_notarealtoken")).statusCode).toBe(401);
    const refused = await get(org.name, "", member.token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await auditEventsOf(server, org.organization.id)).at(-1)).toMatchObject({
      event: "auth-failure-organization-role",
      userLogin: member.user.login,
    });
    expect((await get("no-such-org", "", org.admin.token)).statusCode).toBe(403);
    expect((await get(org.name, "", (await createUser(server)).token)).statusCode).toBe(403);
    expect((await get(org.name, "?format=xml", org.admin.token)).statusCode).toBe(400);
    expect((await get(org.name, "?since=soon", org.admin.token)).statusCode).toBe(400);
    expect((await get(org.name, "?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z", org.admin.token)).statusCode).toBe(400);
  });
});
