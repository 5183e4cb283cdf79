// `npm run test:replicas`: three `node dist/index.js` servers on one PostgreSQL behind HAProxy,
// and what a single server promises, held across them; each figure is printed.
import { randomBytes } from "node:crypto";
import autocannon from "autocannon";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemCaller } from "../../src/auth/principal.js";
import { openPostgresStore } from "../../src/db/postgres/pool.js";
import { createServices } from "../../src/services.js";
import { callerOf } from "../support/factories.js";
import { postgresBackend } from "../support/postgres.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { Fleet, gql, HAPROXY } from "./fleet.js";

const KEY = "1f".repeat(32);
// several processes cannot share PGlite: the fleet needs a PostgreSQL server, and HAProxy
const available = (await postgresBackend()) === "server" && HAPROXY !== null;
let fleet: Fleet;
let admin = { token: "", login: "fleet-admin" };
let adminCaller: ReturnType<typeof callerOf>;
const ORG = "fleet";
const figures: string[] = [];
const figure = (line: string) => {
  figures.push(line);
  console.log(`replicas: ${line}`);
};

/** Users, an organization and its webhook, written through the services before (or beside) the servers. */
async function seed(url: string, work: (services: ReturnType<typeof createServices>) => Promise<void>): Promise<void> {
  const store = await openPostgresStore({ url, poolSize: 2 });
  try {
    await work(createServices(store, Buffer.from(KEY, "hex")));
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  if (!available) return;
  fleet = await Fleet.start(3, { RATE_LIMIT_PER_PRINCIPAL: "1000000", WEBHOOK_TIMEOUT: "2s", WEBHOOK_RETRY_SCHEDULE: "1s,2s,4s" });
  await seed(fleet.postgres.url!, async (services) => {
    const created = await services.users.create({ login: admin.login });
    admin = { token: created.token.secret, login: admin.login };
    const caller = callerOf(created.user, created.token.row);
    adminCaller = caller;
    await services.organizations.create(caller, { name: ORG });
    await services.organizations.setSubscription(systemCaller("test"), { organization: ORG, tier: "BUSINESS_CRITICAL" });
  });
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  if (figures.length > 0) console.log(`\nreplicas: figures (${figures.length}):\n  ${figures.join("\n  ")}`);
});

const CREATE_TOKEN = `mutation { createPersonalAccessToken(input: { description: "probe" }) { secret token { id } } }`;
const REVOKE_TOKEN = `mutation ($id: ID!) { revokePersonalAccessToken(input: { id: $id }) { id } }`;
const VIEWER = `{ viewer { kind } }`;

it.skipIf(!available)(
  "revocation: a token revoked through one server is refused by every server on the next request",
  async () => {
    const ROUNDS = 1000;
    let accepted = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const created = await gql(fleet.lbUrl, CREATE_TOKEN, {}, admin.token);
      const { secret, token } = created.body.data.createPersonalAccessToken;
      const via = fleet.servers[i % fleet.servers.length]!;
      // warm: the token works everywhere before its revocation
      if (i % 100 === 0) {
        for (const server of fleet.servers) expect((await gql(server.url, VIEWER, {}, secret)).status).toBe(200);
      }
      const revoked = await gql(via.url, REVOKE_TOKEN, { id: token.id }, admin.token);
      expect(revoked.body.errors).toBeUndefined();
      const probes = await Promise.all(fleet.servers.map((server) => gql(server.url, VIEWER, {}, secret)));
      accepted += probes.filter((probe) => probe.status === 200).length;
    }
    expect(accepted).toBe(0);
    figure(
      `revocation: ${ROUNDS} revocations, each probed at once on all ${fleet.servers.length} servers: ${accepted} of ${ROUNDS * 3} probes accepted`,
    );
  },
  300_000,
);

it.skipIf(!available)(
  "webhooks: 2,000 events across three servers, one killed twice: every event delivered, none twice unless an attempt was cut",
  async () => {
    const EVENTS = 2000;
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const receiver = await new WebhookReceiver().start();
    try {
      receiver.fallback = { status: 204 };
      const hook = await gql(
        fleet.lbUrl,
        `mutation ($url: String!, $secret: String!) { createWebhook(input: { organization: "${ORG}", name: "fleet", payloadUrl: $url, secret: $secret, filters: ["stack_created"] }) { name } }`,
        { url: receiver.url("/hook"), secret },
        admin.token,
      );
      expect(hook.body.errors).toBeUndefined();
      const victim = fleet.servers[2]!;
      let created = 0;
      const writer = async (c: number) => {
        for (let n = c; n < EVENTS; n += 20) {
          for (;;) {
            const res = await gql(
              fleet.lbUrl,
              `mutation ($s: String!) { createStack(input: { organization: "${ORG}", project: "hooks", stack: $s }) { id } }`,
              { s: `s-${n}` },
              admin.token,
            ).catch(() => null);
            if (res?.body.data?.createStack) break;
            if (res?.body.errors?.[0]?.extensions?.code === "CONFLICT") break; // made by an attempt whose answer was lost
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          created++;
        }
      };
      const writing = Promise.all(Array.from({ length: 20 }, (_, c) => writer(c)));
      // two kill -9 of one server while events are written and delivered
      let kills = 0;
      for (const at of [EVENTS / 4, EVENTS / 2]) {
        while (created < at) await new Promise((resolve) => setTimeout(resolve, 20));
        await fleet.stopServer(victim, "SIGKILL");
        kills++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        await fleet.startServer(victim);
      }
      await writing;
      await receiver.waitFor(EVENTS, 120_000);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // what else would still come
      const verifier = new StandardWebhook(secret);
      const byId = new Map<string, number>();
      const stacks = new Set<string>();
      for (const request of receiver.received) {
        const payload = verifier.verify(request.body, request.headers as Record<string, string>) as { stack?: { name?: string } };
        const id = String(request.headers["webhook-id"]);
        byId.set(id, (byId.get(id) ?? 0) + 1);
        stacks.add(JSON.stringify(payload).match(/hooks\/(s-\d+)/)?.[1] ?? JSON.stringify(payload).slice(0, 80));
      }
      const duplicates = [...byId.values()].filter((n) => n > 1).reduce((sum, n) => sum + n - 1, 0);
      expect(byId.size).toBe(EVENTS);
      expect(stacks.size).toBe(EVENTS);
      // a repeat only for an attempt cut by a kill: at most the deliveries in flight (8 per server) per kill
      expect(duplicates).toBeLessThanOrEqual(8 * kills);
      figure(
        `webhooks: ${EVENTS} events, ${kills} kill -9 of one server: ${byId.size} delivered (signatures verified), ` +
          `${duplicates} delivered again with the same webhook-id (attempts cut by a kill)`,
      );
    } finally {
      await receiver.stop();
    }
  },
  300_000,
);

it.skipIf(!available)(
  "invariants: 50 clients on three servers racing: no violation, no unexpected error",
  async () => {
    const CLIENTS = 50;
    await seed(fleet.postgres.url!, async (services) => {
      const org = (await services.organizations.findByName(ORG))!;
      // two admins besides fleet-admin, whom the clients demote and promote again
      for (let i = 0; i < 2; i++) {
        const user = await services.users.create({ login: `racer-${i}` });
        await services.members.add(adminCaller, org, { organization: ORG, login: user.user.login, role: "ADMIN" });
      }
      await services.stacks.create(adminCaller, org, { organization: ORG, project: "race", stack: "one" });
    });
    const codes: string[] = [];
    const run = async (token: string, query: string, variables: Record<string, unknown>) => {
      const res = await gql(fleet.lbUrl, query, variables, token);
      codes.push(res.status >= 500 ? `HTTP ${res.status}` : (res.body.errors?.[0]?.extensions?.code ?? "ok"));
      return res;
    };
    const client = async (i: number) => {
      for (let n = 0; n < 8; n++) {
        switch ((i + n) % 4) {
          case 0: // the two admins demote each other (and the admin promotes again)
            await run(
              admin.token,
              `mutation ($l: String!, $r: OrganizationRole!) { updateOrganizationMemberRole(input: { organization: "${ORG}", login: $l, role: $r }) { role } }`,
              {
                l: `racer-${n % 2}`,
                r: (i + n) % 8 < 4 ? "MEMBER" : "ADMIN",
              },
            );
            break;
          case 1:
            await run(
              admin.token,
              `mutation ($n: String!) { createOrganizationAccessToken(input: { organization: "${ORG}", name: $n }) { token { id } } }`,
              {
                n: `race-${n}`,
              },
            );
            break;
          case 2:
            await run(admin.token, `mutation ($n: String!) { createTeam(input: { organization: "${ORG}", name: $n }) { name } }`, {
              n: `team-${n}`,
            });
            break;
          default: {
            const started = await run(
              admin.token,
              `mutation { startUpdate(input: { stack: { organization: "${ORG}", project: "race", stack: "one" }, kind: UPDATE }) { id } }`,
              {},
            );
            const id = started.body.data?.startUpdate?.id;
            if (id)
              await run(admin.token, `mutation ($id: ID!) { completeUpdate(input: { updateId: $id, status: SUCCEEDED }) { status } }`, {
                id,
              });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    const q = (text: string) => fleet.postgres.query<Record<string, unknown>>(text);
    const violations: string[] = [];
    const [admins] = await q(
      `select count(*)::int as n from memberships m join organizations o on o.id = m.organization_id where o.name = '${ORG}' and m.role = 'ADMIN'`,
    );
    if (Number(admins!.n) < 1) violations.push("no admin left");
    const tokenNames = await q(
      "select lower(name) as name, count(*)::int as n from access_tokens where kind = 'ORGANIZATION' group by lower(name) having count(*) > 1",
    );
    violations.push(...tokenNames.map((r) => `token name ${String(r.name)} ×${String(r.n)}`));
    const teamNames = await q(
      "select lower(name) as name, count(*)::int as n from teams group by organization_id, lower(name) having count(*) > 1",
    );
    violations.push(...teamNames.map((r) => `team name ${String(r.name)} ×${String(r.n)}`));
    const versions = (
      await q("select u.version from stack_updates u join stacks s on s.id = u.stack_id where s.name = 'one' order by u.version")
    ).map((r) => Number(r.version));
    if (versions.some((v, i) => v !== i + 1)) violations.push(`update versions ${versions.join(",")}`);
    const [running] = await q(
      "select count(*)::int as n from stack_updates u join stacks s on s.id = u.stack_id where s.name = 'one' and u.status = 'RUNNING'",
    );
    if (Number(running!.n) > 1) violations.push("two updates running");
    const unexpected = codes.filter((c) => !["ok", "CONFLICT", "FORBIDDEN"].includes(c));
    expect(violations).toEqual([]);
    expect(unexpected).toEqual([]);
    figure(
      `invariants: ${codes.length} racing mutations from ${CLIENTS} clients over ${fleet.servers.length} servers: ` +
        `${codes.filter((c) => c === "ok").length} made, ${codes.filter((c) => c !== "ok").length} refused as the races require; ${violations.length} violations, ${unexpected.length} unexpected errors`,
    );
  },
  300_000,
);

it.skipIf(!available)(
  "rolling restart: each server restarted in turn under steady load: no request fails",
  async () => {
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const load = async () => {
      while (!stop) {
        sent++;
        try {
          const res = await gql(fleet.lbUrl, VIEWER, {}, admin.token);
          if (res.status !== 200 || res.body.errors) failures.push(`HTTP ${res.status} ${JSON.stringify(res.body.errors ?? "")}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 10 }, () => load());
    for (const server of fleet.servers) {
      await fleet.stopServer(server, "SIGTERM"); // readyz 503, the drain, then close
      await fleet.startServer(server);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the balancer sees it up again
    }
    stop = true;
    await Promise.all(clients);
    expect(failures.slice(0, 5)).toEqual([]);
    figure(
      `rolling restart: ${fleet.servers.length} servers restarted in turn (SIGTERM, drain, start) under 10 clients: ${sent} requests, ${failures.length} failed`,
    );
  },
  300_000,
);

it.skipIf(!available)(
  "throughput: S1 with 1, 2 and 3 servers behind the balancer",
  async () => {
    const rates: string[] = [];
    for (const n of [1, 2, 3]) {
      await fleet.startBalancer(fleet.servers.slice(0, n));
      const result = await autocannon({
        url: `${fleet.lbUrl}/graphql`,
        method: "POST",
        connections: 50,
        duration: 5,
        headers: { "content-type": "application/json", authorization: `token ${admin.token}` },
        body: JSON.stringify({ query: VIEWER }),
      });
      expect(result.non2xx).toBe(0);
      rates.push(`${n}: ${Math.round(result.requests.average)} req/s`);
    }
    await fleet.startBalancer(fleet.servers);
    figure(
      `throughput: S1 (viewer) through HAProxy, 50 connections, on ${(await import("node:os")).cpus().length} cores: ${rates.join(", ")}`,
    );
  },
  120_000,
);

it.skipIf(!available)(
  "rate limit: a principal over its limit on all three servers together is refused past the documented overshoot",
  async () => {
    const LIMIT = 60;
    const RATE = 100; // requests per second, round-robin over the three servers
    const FLUSH_S = 0.25;
    const limited = await Fleet.start(3, { RATE_LIMIT_PER_PRINCIPAL: String(LIMIT), RATE_LIMIT_FLUSH_INTERVAL: "250ms" });
    try {
      let token = "";
      await seed(limited.postgres.url!, async (services) => {
        token = (await services.users.create({ login: "limited" })).token.secret;
      });
      // the windows are the clock's minutes: send within one
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
      let admitted = 0;
      let refused = 0;
      const started = Date.now();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < RATE * 4; i++) {
        const server = limited.servers[i % 3]!;
        sends.push(
          gql(server.url, VIEWER, {}, token).then((res) => {
            if (res.status === 200) admitted++;
            else if (res.status === 429) refused++;
          }),
        );
        const due = started + ((i + 1) * 1000) / RATE;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      }
      await Promise.all(sends);
      // README: at most L + R × (2I + 5d) per window; d (a flush) is a few ms here, counted as 20 ms
      const bound = LIMIT + RATE * (2 * FLUSH_S + 5 * 0.02);
      expect(admitted).toBeGreaterThanOrEqual(LIMIT);
      expect(admitted).toBeLessThanOrEqual(bound);
      expect(admitted + refused).toBe(RATE * 4);
      figure(
        `rate limit: limit ${LIMIT}/min, ${RATE * 4} requests at ${RATE}/s spread over 3 servers: ${admitted} admitted, ${refused} refused ` +
          `(bound L + R(2I + 5d) = ${Math.floor(bound)}; per process it would have been ${LIMIT * 3})`,
      );
    } finally {
      await limited.close();
    }
  },
  180_000,
);
