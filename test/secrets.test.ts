// Every secret issued in this file must appear only in the response that created it:
// not in the database file (or its WAL), not in a log line, not in any other response.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SqliteStore } from "../src/db/sqlite/store.js";
import { hashSecret } from "../src/lib/token-secret.js";
import { expectOk } from "./support/assertions.js";
import type { Variables } from "./support/operations.js";
import { createOrg, createUser, uniqueName } from "./support/factories.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ LOG_LEVEL: "trace" });
});
afterAll(() => server.close());

/**
 * What the database holds: SQLite, the file and its WAL (checkpointed, so the file has it too);
 * PostgreSQL, every row of every table as text.
 */
async function storedBytes(): Promise<Buffer> {
  if (server.backend === "postgres") {
    const tables = await server.sql<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
    );
    expect(tables.map((t) => t.name)).toContain("access_tokens");
    const rows: string[] = [];
    for (const { name } of tables) {
      for (const { row } of await server.sql<{ row: string }>(`select t::text as row from "${name}" t`)) rows.push(row);
    }
    return Buffer.from(rows.join("\n"));
  }
  await server.committed();
  (server.app.store as SqliteStore).connection.pragma("wal_checkpoint(PASSIVE)");
  const files = readdirSync(server.dir).filter((f) => f.startsWith("gatehouse.db"));
  expect(files).toContain("gatehouse.db");
  return Buffer.concat(files.map((f) => readFileSync(join(server.dir, f))));
}

it("never stores, logs or echoes a secret", async () => {
  const secrets: string[] = [];
  const createResponses = new Set<number>();
  const issue = async (query: string, variables: Variables, token: string, pick: (d: any) => string) => {
    const res = await server.gql(query, variables, { token });
    expectOk(res);
    createResponses.add(server.responses.length - 1);
    secrets.push(pick(res.body.data));
  };

  const site = await createUser(server, { siteAdmin: true });
  const org = await createOrg(server);
  await issue(
    `mutation ($login: String!) { createUser(input: { login: $login }) { secret } }`,
    { login: uniqueName("s") },
    site.token,
    (d) => d.createUser.secret,
  );
  await issue(
    `mutation { createPersonalAccessToken(input: { description: "scan me" }) { secret } }`,
    {},
    org.admin.token,
    (d) => d.createPersonalAccessToken.secret,
  );
  await issue(
    `mutation ($org: String!) { createOrganizationAccessToken(input: { organization: $org, name: "scan-me" }) { secret } }`,
    { org: org.name },
    org.admin.token,
    (d) => d.createOrganizationAccessToken.secret,
  );

  // use them, break them, delete them: every path that might echo a token
  for (const secret of secrets) {
    await server.gql("{ viewer { kind tokenId } }", {}, { token: secret });
    await server.gql("{ viewer { kind } }", {}, { token: `${secret.slice(0, -1)}x` });
    await server.gql("{ viewer { kind } }", {}, { authorization: `Basic ${secret}` });
    await server.gql("{ nope }", {}, { token: secret });
    await server.gql(`mutation { deletePersonalAccessToken(id: "${secret}") }`, {}, { token: secret });
    // pasted into the wrong field: names, logins, organizations
    await server.gql(
      `mutation ($n: String!) { createOrganization(input: { name: $n }) { id } }`,
      { n: secret },
      { token: org.admin.token },
    );
    await server.gql(
      `mutation ($o: String!, $n: String!) { createOrganizationAccessToken(input: { organization: $o, name: $n }) { secret } }`,
      { o: org.name, n: secret },
      { token: org.admin.token },
    );
    await server.gql(
      `mutation ($o: String!, $n: String!) { addOrganizationMember(input: { organization: $o, login: $n }) { role } }`,
      { o: org.name, n: secret },
      { token: org.admin.token },
    );
    await server.gql(`query ($o: String!) { organization(name: $o) { id } }`, { o: secret }, { token: org.admin.token });
    await server.gql(
      `mutation ($o: String!) { updateOrganizationSettings(input: { organization: $o, displayName: "x" }) { id } }`,
      { o: `${secret} ` },
      { token: org.admin.token },
    );
  }
  const tokenList = await server.gql(
    `query ($org: String!) { organization(name: $org) { accessTokens(includeDeleted: true) { id name } } }`,
    { org: org.name },
    { token: org.admin.token },
  );
  expectOk(tokenList);
  const stored = await storedBytes();
  const logs = server.logs.join("");
  expect(logs.length).toBeGreaterThan(1000);
  const otherResponses = server.responses.filter((_, i) => !createResponses.has(i)).join("\n");

  for (const secret of [...secrets, site.token, org.admin.token]) {
    expect(stored.includes(Buffer.from(secret)), "secret in the database file").toBe(false);
    expect(stored.includes(Buffer.from(hashSecret(secret))), "its hash is what is stored").toBe(true);
    // also the random part alone, in case a prefix was stripped somewhere
    const randomPart = secret.slice(4, 34);
    expect(stored.includes(Buffer.from(randomPart))).toBe(false);
    expect(logs.includes(randomPart), "secret in the logs").toBe(false);
    expect(otherResponses.includes(randomPart), "secret in a response other than its create payload").toBe(false);
  }
});

it("refuses a working secret pasted into free text (tag values, descriptions), which would be stored and shown", async () => {
  const org = await createOrg(server);
  const { secret } = await server.app.services.tokens.createPersonal(org.admin.caller, { description: "to paste" });
  const stack = await server.app.services.stacks.create(org.admin.caller, org.organization, {
    organization: org.name,
    project: "p",
    stack: "s",
  });
  const setTag = await server.gql(
    `mutation ($v: String!) { setStackTag(input: { stack: { organization: "${org.name}", project: "p", stack: "s" }, name: "note", value: $v }) { name } }`,
    { v: `ci uses ${secret}` },
    { token: org.admin.token },
  );
  expect(setTag.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(setTag.raw).not.toContain(secret.slice(4, 34));
  const pat = await server.gql(
    `mutation ($d: String!) { createPersonalAccessToken(input: { description: $d }) { token { id } } }`,
    { d: secret },
    { token: org.admin.token },
  );
  expect(pat.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  expect(stack.id).toBeTruthy();
});
