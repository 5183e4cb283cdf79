// kill -9 under a write load, three times, then restart: every acknowledged mutation and its
// audit event are there (SQLite: PRAGMA integrity_check is ok), and the webhook deliveries that
// were pending resume. SQLite with DATABASE_SYNCHRONOUS=FULL (the default): a commit is on disk
// before the response leaves, so it survives a process crash (and power loss); PostgreSQL: a
// response leaves after its COMMIT returned.
import { afterAll, beforeAll, expect, it } from "vitest";
import { systemCaller } from "../../src/auth/principal.js";
import { callerOf } from "../support/factories.js";
import { type FaultDatabase, faultBackendAvailable, openFaultDatabase } from "./database.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { startServerProcess } from "./server-process.js";

const ROUNDS = 3;
const CLIENTS = 20;
const available = await faultBackendAvailable();
let database: FaultDatabase;
let env: Record<string, string> = {};
let token = "";
let receiver: WebhookReceiver;

beforeAll(async () => {
  if (!available) return;
  receiver = await new WebhookReceiver().start();
  database = await openFaultDatabase("crash", "0a".repeat(32));
  env = { ...database.env, RATE_LIMIT_PER_PRINCIPAL: "1000000", WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" };
  await database.withServices(async (services) => {
    const admin = await services.users.create({ login: "crash-admin" });
    token = admin.token.secret;
    const caller = callerOf(admin.user, admin.token.row);
    const org = await services.organizations.create(caller, { name: "crashy" });
    await services.organizations.setSubscription(systemCaller("test"), { organization: "crashy", tier: "BUSINESS_CRITICAL" });
    await services.webhooks.create(caller, org, {
      organization: "crashy",
      name: "events",
      payloadUrl: receiver.url("/events"),
      filters: ["stack_created"],
    });
  });
});

afterAll(async () => {
  await receiver?.stop();
  await database?.close();
});

interface Acknowledged {
  stacks: string[];
  tags: Array<{ stack: string; name: string; value: string }>;
}

/** Clients writing as fast as they can until the server dies; what the server acknowledged. */
async function writeUntilKilled(round: number, ack: Acknowledged): Promise<number> {
  // the first rounds deliver nothing (dispatcher off): their events must survive in the outbox
  const server = await startServerProcess({ ...env, WEBHOOK_DISPATCHER: "false" });
  let stop = false;
  let acknowledged = 0;
  const client = async (c: number) => {
    for (let n = 0; !stop; n++) {
      const name = `r${round}-c${c}-n${n}`;
      try {
        const created = await server.gql(
          `mutation ($n: String!) { createStack(input: { organization: "crashy", project: "load", stack: $n }) { id } }`,
          { n: name },
          token,
        );
        if (!created.body.data?.createStack) continue;
        ack.stacks.push(name);
        acknowledged++;
        const value = `v-${round}-${c}-${n}`;
        const tagged = await server.gql(
          `mutation ($s: StackRef!, $v: String!) { setStackTag(input: { stack: $s, name: "owner", value: $v }) { value } }`,
          { s: { organization: "crashy", project: "load", stack: name }, v: value },
          token,
        );
        if (tagged.body.data?.setStackTag) {
          ack.tags.push({ stack: name, name: "owner", value });
          acknowledged++;
        }
      } catch {
        return; // the server is gone: this request was never acknowledged
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  await new Promise((r) => setTimeout(r, 1200));
  await server.kill("SIGKILL");
  stop = true;
  await Promise.all(clients);
  return acknowledged;
}

it.skipIf(!available)(`survives ${ROUNDS} kill -9 under write load with nothing acknowledged lost`, async () => {
  const ack: Acknowledged = { stacks: [], tags: [] };
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) perRound.push(await writeUntilKilled(round, ack));
  expect(ack.stacks.length).toBeGreaterThan(20);

  {
    if (database.backend === "sqlite") expect(await database.sql("pragma integrity_check")).toEqual([{ integrity_check: "ok" }]);
    const stacks = new Set((await database.sql<{ name: string }>("select name from stacks")).map((r) => r.name));
    expect(ack.stacks.filter((name) => !stacks.has(name))).toEqual([]);
    const created = new Set(
      (await database.sql<{ description: string }>("select description from audit_events where event = 'stack-created'")).map(
        (r) => /load\/([^"]+)"/.exec(r.description)![1],
      ),
    );
    expect(ack.stacks.filter((name) => !created.has(name))).toEqual([]);
    const tags = new Map(
      (
        await database.sql<{ stack: string; value: string }>(
          "select s.name as stack, t.value from stack_tags t join stacks s on s.id = t.stack_id where t.name = 'owner'",
        )
      ).map((r) => [r.stack, r.value]),
    );
    expect(ack.tags.filter((t) => tags.get(t.stack) !== t.value)).toEqual([]);
    const [tagEvents] = await database.sql<{ n: number }>(
      "select cast(count(*) as integer) as n from audit_events where event = 'stack-tag-set'",
    );
    expect(tagEvents!.n).toBeGreaterThanOrEqual(ack.tags.length);
    const [pending] = await database.sql<{ n: number }>(
      "select cast(count(*) as integer) as n from webhook_outbox where state = 'PENDING'",
    );
    expect(pending!.n).toBe(stacks.size);
  }

  // the next start delivers everything that was pending, each event once
  const server = await startServerProcess(env);
  try {
    const [{ n: all }] = (await database.sql<{ n: number }>("select cast(count(*) as integer) as n from stacks")) as [{ n: number }];
    await receiver.waitFor(all, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(receiver.received).toHaveLength(all);
  } finally {
    await server.kill("SIGTERM");
  }
  console.log(
    `crash (${database.backend}): ${ROUNDS} kill -9 survived; ${perRound.join(" + ")} acknowledged mutations (${ack.stacks.length} stacks, ${ack.tags.length} tags), ` +
      `all present with their audit events; ${receiver.received.length} pending webhook deliveries resumed`,
  );
});
