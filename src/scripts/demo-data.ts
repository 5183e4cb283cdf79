// What `npm run demo` creates: the organization acme-corp with its people, teams, tokens,
// stacks and their update histories. Every write goes through the services, as the user or
// the organization token that would have made it, so each row is valid and each change is
// in the audit log (the services write it). The runner (demo.ts) wraps this in one
// transaction; the engine events and checkpoints come from demo-engine.ts. Content is
// deterministic (seeded); ids and times are the real ones of the run.
import type { AccessTokenRow, OrganizationRow, StackRow, UserRow } from "../db/rows.js";
import type { Caller } from "../auth/principal.js";
import type { OrganizationRoleValue, StackPermissionValue, UpdateKindValue } from "../db/schema.js";
import type { StackNode } from "../permissions/access.js";
import type { Services } from "../services.js";
import { type Ending, int, pick, PROJECTS, type Rng, seededRng, StackSimulation } from "./demo-engine.js";

export const DEMO_ORGANIZATION = "acme-corp";
export const DEMO_ORG_TOKEN = "ci-deploy";

/** The people. `role` null: not in acme-corp. Logins are checked free before anything is written. */
export const PEOPLE: readonly { login: string; name: string; role: OrganizationRoleValue | null; siteAdmin?: boolean }[] = [
  { login: "alice", name: "Alice Nakamura", role: "ADMIN" }, // creates the organization
  { login: "bob", name: "Bob Okafor", role: "MEMBER" },
  { login: "carol", name: "Carol Jensen", role: "MEMBER" },
  { login: "dave", name: "Dave Iyer", role: "MEMBER" },
  { login: "erin", name: "Erin Walsh", role: "MEMBER" },
  { login: "grace", name: "Grace Liu", role: "MEMBER" },
  { login: "henry", name: "Henry Adeyemi", role: "MEMBER" }, // promoted to ADMIN at the end
  { login: "fiona", name: "Fiona Brennan", role: "BILLING_MANAGER" },
  { login: "kim-contractor", name: "Kim Park", role: "MEMBER" }, // removed at the end
  { login: "sam", name: "Sam Rivera", role: null, siteAdmin: true }, // the operator: sets the subscription
];

/** Whose token the runner prints for which role (the org token is DEMO_ORG_TOKEN). */
export const ROLE_LOGINS = { admin: "alice", member: "bob", "billing manager": "fiona", "site admin": "sam" } as const;

/** Stacks per project. */
const STACKS: Record<string, readonly string[]> = {
  "web-api": ["dev", "staging", "prod", "prod-eu", "prod-ap", "pr-482", "pr-517"],
  "billing-worker": ["dev", "staging", "prod", "prod-eu", "sandbox"],
  network: ["dev", "staging", "prod", "prod-eu", "shared-services"],
  "data-pipeline": ["dev", "staging", "prod", "backfill-2024", "sandbox-erin"],
  "auth-service": ["dev", "staging", "prod", "prod-eu"],
  observability: ["dev", "staging", "prod", "prod-eu"],
};

/** Teams, their members and grants: [project, stacks ("*" for all, or a name prefix), permission]. */
const TEAMS: readonly {
  name: string;
  displayName: string;
  description: string;
  members: string[];
  grants: [string, string, StackPermissionValue][];
}[] = [
  {
    name: "platform",
    displayName: "Platform Engineering",
    description: "Networking, observability and the deployment pipeline",
    members: ["carol", "henry"],
    grants: [
      ["network", "*", "ADMIN"],
      ["observability", "*", "WRITE"],
      ["web-api", "prod", "READ"],
    ],
  },
  {
    name: "backend",
    displayName: "Backend",
    description: "The API, billing and login services",
    members: ["bob", "dave"],
    grants: [
      ["web-api", "*", "WRITE"],
      ["billing-worker", "*", "WRITE"],
      ["auth-service", "*", "ADMIN"],
    ],
  },
  {
    name: "data",
    displayName: "Data Engineering",
    description: "Ingestion and analytics",
    members: ["erin", "grace"],
    grants: [
      ["data-pipeline", "*", "WRITE"],
      ["billing-worker", "prod", "READ"],
    ],
  },
];

/** The team that works on each project: its members run the human updates. */
const OWNER: Record<string, string> = {
  "web-api": "backend",
  "billing-worker": "backend",
  "auth-service": "backend",
  network: "platform",
  observability: "platform",
  "data-pipeline": "data",
};

/** The interesting cases, each on one stack: how its last operation ends. */
const LAST_OPERATION: Record<string, [UpdateKindValue, Ending]> = {
  "web-api/staging": ["UPDATE", "failed"],
  "billing-worker/staging": ["UPDATE", "cancelled"],
  "network/prod": ["UPDATE", "running"],
  "data-pipeline/dev": ["PREVIEW", "failed"],
  "observability/dev": ["PREVIEW", "running"],
  "web-api/pr-482": ["DESTROY", "succeeded"], // the pull request was closed
};

const MESSAGES = [
  "Merge pull request #{n} from acme-corp/deps/bump-providers",
  "Merge pull request #{n} from acme-corp/feat/autoscaling",
  "Raise log retention for compliance",
  "Tune alarm thresholds after incident INC-{n}",
  "Roll out release 2024.{n}",
  "Tag every resource with its cost center",
  "Pin provider versions",
  "Fix drift found by the nightly refresh",
];

const HUMAN_AGENT = "pulumi/3.137.0 (darwin; arm64)";
const CONSOLE_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Gatehouse console";
const CI_AGENT = "pulumi/3.137.0 (linux; amd64) GitHub-Actions";

export interface DemoSecret {
  readonly role: string;
  /** The user's login, or the organization token's name. */
  readonly principal: string;
  readonly secret: string;
}

/** What seedWebhooks receives. */
export interface DemoContext {
  readonly organization: OrganizationRow;
  /** The organization's admin (alice). */
  readonly admin: Caller;
}

interface Person {
  readonly user: UserRow;
  readonly token: AccessTokenRow;
  readonly secret: string;
  readonly caller: Caller;
}

/** A user's Caller as the audit log should show it (documentation-range addresses only). */
export function userCaller(user: UserRow, token: AccessTokenRow, userAgent = HUMAN_AGENT, index = 10): Caller {
  return { principal: { kind: "USER", user, token }, sourceIp: `198.51.100.${index}`, userAgent, requestId: null };
}

/** Logins of PEOPLE already taken in this database (the demo then refuses to run). */
export async function takenLogins(services: Services): Promise<string[]> {
  const taken: string[] = [];
  for (const p of PEOPLE) if (await services.users.findByLogin(p.login)) taken.push(p.login);
  return taken;
}

/** Creates everything; returns the secrets to print. Call inside one transaction. */
export async function seedDemo(services: Services): Promise<DemoSecret[]> {
  const organizationName = DEMO_ORGANIZATION;

  // people: each gets a first personal token from users.create
  const people = new Map<string, Person>();
  for (const [i, p] of PEOPLE.entries()) {
    const { user, token } = await services.users.create({
      login: p.login,
      name: p.name,
      email: `${p.login}@acme-corp.example`,
      siteAdmin: p.siteAdmin ?? false,
    });
    people.set(p.login, { user, token: token.row, secret: token.secret, caller: userCaller(user, token.row, HUMAN_AGENT, 10 + i) });
  }
  const person = (login: string) => people.get(login)!;
  const alice = { ...person("alice").caller, userAgent: CONSOLE_AGENT };

  // the organization: alice creates it, the operator (site admin) puts it on ENTERPRISE_GROWTH
  await services.organizations.create(alice, { name: organizationName, displayName: "Acme Corp" });
  await services.organizations.setSubscription(person("sam").caller, {
    organization: organizationName,
    tier: "ENTERPRISE_GROWTH",
    trialEndsAt: null,
  });
  let org = (await services.organizations.findByName(organizationName))!;
  org = await services.organizations.updateSettings(alice, org, { organization: organizationName, displayName: "Acme Corporation" });
  for (const p of PEOPLE) {
    if (p.role && p.login !== "alice")
      await services.members.add(alice, org, { organization: organizationName, login: p.login, role: p.role });
  }

  // organization tokens: CI's, a short-lived one for PR previews, and a legacy one revoked at the end
  const ci = await services.tokens.createForOrganization(alice, org, {
    organization: organizationName,
    name: DEMO_ORG_TOKEN,
    description: "GitHub Actions: pulumi up on merge to main",
    expiresAt: null,
  });
  await services.tokens.createForOrganization(alice, org, {
    organization: organizationName,
    name: "preview-bot",
    description: "pulumi preview on pull requests",
    expiresAt: new Date(Date.now() + 180 * 24 * 3600 * 1000),
  });
  const legacy = await services.tokens.createForOrganization(alice, org, {
    organization: organizationName,
    name: "legacy-jenkins",
    description: "Old Jenkins deploy job (to be removed)",
    expiresAt: null,
  });
  const ciCaller: Caller = {
    principal: { kind: "ORGANIZATION_TOKEN", token: ci.row, organization: org },
    sourceIp: "203.0.113.40",
    userAgent: CI_AGENT,
    requestId: null,
  };

  // teams and their members
  for (const team of TEAMS) {
    await services.teams.create(alice, org, {
      organization: organizationName,
      name: team.name,
      displayName: team.displayName,
      description: team.description,
    });
    await services.teams.updateMembership(alice, org, { organization: organizationName, team: team.name, addLogins: team.members });
  }
  const teamMembers = (project: string) => TEAMS.find((t) => t.name === OWNER[project])!.members;

  // stacks: production ones by alice, developer stacks by their team, PR stacks by CI
  const nodes = new Map<string, StackNode>();
  const node = (row: StackRow): StackNode => ({ ...row, organization: org, viewerPermission: "ADMIN" });
  for (const [project, stacks] of Object.entries(STACKS)) {
    const rng = seededRng(`creators:${project}`);
    for (const stack of stacks) {
      const creator = stackCreator(project, stack, rng, person, alice, ciCaller);
      const row = await services.stacks.create(creator, org, {
        organization: organizationName,
        project,
        stack,
        tags: stackTags(project, stack),
      });
      nodes.set(`${project}/${stack}`, node(row));
    }
  }
  for (const team of TEAMS) {
    for (const [project, which, permission] of team.grants) {
      for (const stack of STACKS[project]!.filter((s) => which === "*" || s.startsWith(which))) {
        await services.teams.grant(alice, org, { organization: organizationName, team: team.name, project, stack, permission });
      }
    }
  }

  // update histories
  for (const [key, stackNode] of nodes) {
    const rng = seededRng(`history:${key}`);
    const actors = {
      ci: ciCaller,
      human: () => person(pick(rng, teamMembers(stackNode.project))).caller,
    };
    await runHistory(services, stackNode, new StackSimulation(stackNode.project, stackNode.name, rng), rng, actors, LAST_OPERATION[key]);
  }

  // a closed pull request's stack: deployed, destroyed and deleted by CI (only the audit log remembers it)
  const pr401 = node(
    await services.stacks.create(ciCaller, org, {
      organization: organizationName,
      project: "web-api",
      stack: "pr-401",
      tags: stackTags("web-api", "pr-401"),
    }),
  );
  const sim401 = new StackSimulation("web-api", "pr-401", seededRng("history:web-api/pr-401"));
  await runOperation(services, ciCaller, pr401, sim401, "UPDATE", "succeeded", "Merge pull request #401 from acme-corp/feat/rate-limits");
  await runOperation(services, ciCaller, pr401, sim401, "DESTROY", "succeeded", "Pull request #401 closed");
  await services.stacks.delete(ciCaller, pr401, false);

  // later changes, for a varied audit log
  for (const key of ["web-api/prod", "auth-service/prod"]) await services.tags.set(alice, nodes.get(key)!, "tier", "critical");
  await services.tags.delete(person("bob").caller, nodes.get("web-api/pr-517")!, "ttl");
  await services.stacks.readState(alice, nodes.get("web-api/prod")!, new Set()); // audited as stack-exported
  await services.members.updateRole(alice, org, { organization: organizationName, login: "henry", role: "ADMIN" });
  await services.teams.create(alice, org, {
    organization: organizationName,
    name: "contractors",
    description: "Temporary access for the Q3 migration",
  });
  await services.teams.updateMembership(alice, org, { organization: organizationName, team: "contractors", addLogins: ["kim-contractor"] });
  await services.members.remove(alice, org, { organization: organizationName, login: "kim-contractor" });
  await services.teams.delete(alice, org, "contractors");
  await services.teams.revoke(alice, org, { organization: organizationName, team: "platform", project: "web-api", stack: "prod-eu" });
  await services.tokens.deleteForOrganization(alice, org, legacy.row.id);

  await seedWebhooks(services, { organization: org, admin: alice });

  const secretOf = (login: string) => person(login).secret;
  return [
    { role: "admin", principal: ROLE_LOGINS.admin, secret: secretOf(ROLE_LOGINS.admin) },
    { role: "member", principal: ROLE_LOGINS.member, secret: secretOf(ROLE_LOGINS.member) },
    { role: "billing manager", principal: ROLE_LOGINS["billing manager"], secret: secretOf(ROLE_LOGINS["billing manager"]) },
    { role: "org token", principal: DEMO_ORG_TOKEN, secret: ci.secret },
    { role: "site admin", principal: ROLE_LOGINS["site admin"], secret: secretOf(ROLE_LOGINS["site admin"]) },
  ];
}

/**
 * Webhooks of the demo organization, created by its admin. Payload URLs are only ever on
 * loopback (test/demo.test.ts fails on any other), so with the SSRF guard on (the default)
 * deliveries are refused at connect time and recorded as "destination not allowed": the
 * Deliveries tab has something to show and no packet leaves the machine. This runs last,
 * after the histories, so seeding queues no deliveries for them.
 */
export async function seedWebhooks(services: Services, demo: DemoContext): Promise<void> {
  const organization = demo.organization.name;
  await services.webhooks.create(demo.admin, demo.organization, {
    organization,
    name: "deploy-alerts",
    displayName: "#deploys (Slack)",
    payloadUrl: "http://127.0.0.1:9/hooks/slack/deploys",
    format: "SLACK",
    filters: ["update_failed", "destroy_succeeded", "stack_deleted"],
    secret: DEMO_WEBHOOK_SECRET,
  });
  await services.webhooks.create(demo.admin, demo.organization, {
    organization,
    name: "siem-sink",
    displayName: "Security event sink",
    payloadUrl: "http://127.0.0.1:9/hooks/siem",
    format: "RAW",
    active: false,
  });
}

/** A fixed, obviously fake signing secret (24 bytes of "demo…"), so two runs look alike. */
const DEMO_WEBHOOK_SECRET = `whsec_${Buffer.from("demo-webhook-signing-key").toString("base64")}`;

// ---------------------------------------------------------------- helpers

function stackCreator(project: string, stack: string, rng: Rng, person: (login: string) => Person, admin: Caller, ci: Caller): Caller {
  if (stack.startsWith("pr-")) return ci;
  if (stack === "sandbox-erin") return person("erin").caller;
  if (stack === "dev" || stack.startsWith("sandbox") || stack.startsWith("backfill")) {
    return person(pick(rng, TEAMS.find((t) => t.name === OWNER[project])!.members)).caller;
  }
  return admin;
}

function envOf(stack: string): string {
  if (stack.startsWith("prod")) return "production";
  if (stack.startsWith("pr-")) return "preview";
  if (stack === "dev" || stack === "staging") return stack === "dev" ? "development" : "staging";
  return stack.startsWith("shared") ? "production" : "sandbox";
}

/** Built-in tags as `pulumi stack init` from a GitHub checkout sets them, plus the team's own. */
function stackTags(project: string, stack: string): { name: string; value: string }[] {
  const spec = PROJECTS[project]!;
  const tags: Record<string, string> = {
    "pulumi:runtime": spec.runtime,
    "pulumi:description": spec.description,
    "vcs:owner": "acme-corp",
    "vcs:repo": `acme-corp/${project}`,
    "vcs:kind": "github.com",
    "vcs:root": "infra",
    env: envOf(stack),
    owner: OWNER[project]!,
    "cost-center": `cc-${1000 + 100 * Object.keys(STACKS).indexOf(project)}`,
  };
  if (stack.includes("eu")) tags.region = project === "data-pipeline" ? "europe-west1" : "eu-west-1";
  if (stack.startsWith("pr-")) {
    tags.pr = stack.slice(3);
    tags.ttl = "7d";
  }
  return Object.entries(tags).map(([name, value]) => ({ name, value }));
}

/**
 * A stack's history: a first deployment, then rounds of (sometimes) a preview and an
 * update, a refresh now and then; production stacks have the longest histories. CI runs
 * most staging and production updates, team members the rest.
 */
async function runHistory(
  services: Services,
  stack: StackNode,
  sim: StackSimulation,
  rng: Rng,
  actors: { ci: Caller; human: () => Caller },
  last: [UpdateKindValue, Ending] | undefined,
): Promise<void> {
  const name = stack.name;
  const rounds = name.startsWith("prod") ? 6 : name === "staging" ? 5 : name === "dev" ? 4 : name.startsWith("pr-") ? 2 : 3;
  const automated = name.startsWith("prod") || name === "staging" || name.startsWith("shared") || name.startsWith("pr-");
  const deployer = () => (name.startsWith("pr-") || (automated && rng() < 0.8) ? actors.ci : actors.human());
  const previewer = () => (name.startsWith("pr-") || rng() < 0.5 ? actors.ci : actors.human());
  const message = () => pick(rng, MESSAGES).replace("{n}", String(int(rng, 300, 900)));

  await runOperation(services, deployer(), stack, sim, name.startsWith("shared") ? "IMPORT" : "UPDATE", "succeeded", "Initial deployment");
  for (let round = 1; round < rounds; round++) {
    if (round === 3 && automated) {
      await runOperation(services, deployer(), stack, sim, "REFRESH", "succeeded", "Nightly drift check");
      continue;
    }
    const text = message(); // the pull request's preview, then its merge
    if (rng() < 0.5) await runOperation(services, previewer(), stack, sim, "PREVIEW", "succeeded", text);
    await runOperation(services, deployer(), stack, sim, "UPDATE", "succeeded", text);
  }
  if (last) {
    const [kind, ending] = last;
    await runOperation(
      services,
      kind === "PREVIEW" ? previewer() : deployer(),
      stack,
      sim,
      kind,
      ending,
      kind === "DESTROY" ? "Pull request closed" : message(),
    );
  }
}

/** One update through the services: start, events, then complete, cancel, or leave running. */
async function runOperation(
  services: Services,
  caller: Caller,
  stack: StackNode,
  sim: StackSimulation,
  kind: UpdateKindValue,
  ending: Ending,
  message: string,
): Promise<void> {
  const update = await services.updates.start(caller, stack, kind, message);
  const result = sim.run(kind, ending);
  await services.updates.append(update, result.events);
  if (ending === "running") return;
  if (ending === "cancelled") {
    await services.updates.cancel(caller, update, stack);
    return;
  }
  await services.updates.complete(caller, update, stack, {
    updateId: update.id,
    status: ending === "succeeded" ? "SUCCEEDED" : "FAILED",
    resourceChanges: result.resourceChanges,
    state: result.state,
  });
}
