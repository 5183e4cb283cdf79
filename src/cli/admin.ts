// The admin CLI: `npm run --silent admin -- <command> [options]`. Results are JSON on
// stdout; errors are one line on stderr with what to do, and a non-zero exit code.
import type { OrganizationRow, UserRow } from "../db/rows.js";
import { parseArgs } from "node:util";
import { systemCaller } from "../auth/principal.js";
import { ConfigError, loadConfig } from "../config.js";
import { openStore } from "../open-store.js";
import { ORGANIZATION_ROLES, type OrganizationRoleValue, SUBSCRIPTION_TIERS, type SubscriptionTierValue } from "../db/schema.js";
import { AppError, NotFoundError } from "../errors.js";
import { DATE_TIME_FORMS, parseDateTime } from "../lib/date-time.js";
import { loadServerKey } from "../lib/server-key.js";
import { quote } from "../lib/validation.js";
import { isEntitled } from "../permissions/entitlements.js";
import { createServices, type Services } from "../services.js";

interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: NonNullable<Parameters<typeof parseArgs>[0]>["options"];
  run(services: Services, values: Record<string, string | boolean | undefined>): Promise<unknown>;
}

/** A wrong or missing option: exit 2 and show the command's usage. */
class UsageError extends Error {}
/** The command cannot run as asked (the message says what to do first): exit 1. */
class CliError extends Error {}

const required = (values: Record<string, unknown>, name: string): string => {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
};

/** What the audit log shows for changes made here. */
const CLI_LABEL = "admin CLI";
const CLI_USER_AGENT = "gatehouse admin CLI";

/** A date in the forms the API accepts (src/lib/date-time.ts), or null when the option is absent. */
function optionalDate(values: Record<string, unknown>, name: string): Date | null {
  const value = values[name];
  if (value === undefined) return null;
  const date = typeof value === "string" ? parseDateTime(value) : null;
  if (typeof value !== "string" || !date) throw new UsageError(`--${name} ${JSON.stringify(value)} is not a date: give ${DATE_TIME_FORMS}`);
  if (date.getTime() <= Date.now()) throw new UsageError(`--${name} ${value} is in the past: give a future date`);
  return date;
}

async function requireOrganization(services: Services, name: string): Promise<OrganizationRow> {
  const organization = await services.organizations.findByName(name);
  if (!organization) {
    throw new NotFoundError(`organization ${quote(name)} not found: check the name (organization names are unique, case aside)`);
  }
  return organization;
}

/**
 * The organization admin an organization token made here is recorded as created by: the
 * given login (who must be an ADMIN of it), else its longest-standing ADMIN. A token's creator
 * is always a user (the API shows `createdBy`), so the CLI names a real, accountable admin
 * rather than inventing a system creator; the audit event names the CLI as the actor.
 */
async function creatingAdmin(services: Services, organization: OrganizationRow, login: string | undefined): Promise<UserRow> {
  const admin = (await services.members.admins(organization)).find(
    (user) => login === undefined || user.login.toLowerCase() === login.toLowerCase(),
  );
  if (!admin) {
    throw new NotFoundError(`${quote(login ?? "")} is not an ADMIN of "${organization.name}": name one of its admins, or leave --as out`);
  }
  return admin;
}

async function requireUser(services: Services, login: string): Promise<UserRow> {
  const user = await services.users.findByLogin(login);
  if (!user) throw new NotFoundError(`no user has the login ${quote(login)}: create-user first, or check the spelling`);
  return user;
}

function requireRole(given: string | undefined): OrganizationRoleValue {
  const role = (given ?? "MEMBER").toUpperCase().replaceAll("-", "_") as OrganizationRoleValue;
  if (!ORGANIZATION_ROLES.includes(role)) {
    throw new UsageError(`unknown role ${quote(given ?? "")}: use one of ${ORGANIZATION_ROLES.join(", ")}`);
  }
  return role;
}

const cli = () => ({ ...systemCaller(CLI_LABEL), userAgent: CLI_USER_AGENT });

const COMMANDS: Record<string, Command> = {
  "create-user": {
    summary: "create a user and print their first personal access token",
    usage: "create-user --login L [--name N] [--email E] [--site-admin]",
    options: {
      login: { type: "string" },
      name: { type: "string" },
      email: { type: "string" },
      "site-admin": { type: "boolean" },
    },
    async run(services, values) {
      const { user, token } = await services.users.create({
        login: required(values, "login"),
        name: (values.name as string | undefined) ?? null,
        email: (values.email as string | undefined) ?? null,
        siteAdmin: values["site-admin"] === true,
      });
      return { user: { id: user.id, login: user.login }, token: token.secret };
    },
  },
  "list-users": {
    summary: "print every user as a JSON array (id, login, name, email, isSiteAdmin, createdAt), oldest first",
    usage: "list-users",
    options: {},
    async run(services) {
      return (await services.users.list()).map(({ id, login, name, email, isSiteAdmin, createdAt }) => ({
        id,
        login,
        name,
        email,
        isSiteAdmin,
        createdAt,
      }));
    },
  },
  "set-subscription": {
    summary: "put an organization on a tier; with --trial-ends it is a trial until then (audited as the system)",
    usage: `set-subscription --org NAME --tier ${SUBSCRIPTION_TIERS.join("|")} [--trial-ends ISO]`,
    options: { org: { type: "string" }, tier: { type: "string" }, "trial-ends": { type: "string" } },
    async run(services, values) {
      const given = required(values, "tier");
      const tier = given.toUpperCase().replaceAll("-", "_") as SubscriptionTierValue;
      if (!SUBSCRIPTION_TIERS.includes(tier)) {
        throw new UsageError(`unknown tier ${quote(given)}: use one of ${SUBSCRIPTION_TIERS.join(", ")}`);
      }
      const trialEndsAt = optionalDate(values, "trial-ends");
      const before = await requireOrganization(services, required(values, "org"));
      const after = await services.organizations.setSubscription(cli(), { organization: before.name, tier, trialEndsAt });
      return {
        organization: { name: after.name, tier: after.tier, trialEndsAt: after.trialEndsAt, previousTier: before.tier },
      };
    },
  },
  "create-org": {
    summary: "create an organization (TEAM tier) with an existing user as its ADMIN (audited as the system)",
    usage: "create-org --name NAME --admin LOGIN [--display-name D]",
    options: { name: { type: "string" }, admin: { type: "string" }, "display-name": { type: "string" } },
    async run(services, values) {
      const admin = await requireUser(services, required(values, "admin"));
      const organization = await services.organizations.create(
        cli(),
        { name: required(values, "name"), displayName: (values["display-name"] as string | undefined) ?? null },
        admin,
      );
      const { id, name, displayName, tier, createdAt } = organization;
      return { organization: { id, name, displayName, tier, createdAt }, admin: admin.login };
    },
  },
  "add-member": {
    summary: "add an existing user to an organization (default role MEMBER; audited as the system)",
    usage: `add-member --org NAME --login L [--role ${ORGANIZATION_ROLES.join("|")}]`,
    options: { org: { type: "string" }, login: { type: "string" }, role: { type: "string" } },
    async run(services, values) {
      const role = requireRole(values.role as string | undefined);
      const organization = await requireOrganization(services, required(values, "org"));
      const member = await services.members.add(cli(), organization, {
        organization: organization.name,
        login: required(values, "login"),
        role,
      });
      return { member: { organization: organization.name, login: member.user.login, role: member.role, joinedAt: member.joinedAt } };
    },
  },
  "list-orgs": {
    summary: "print every organization as a JSON array (id, name, displayName, tier, trialEndsAt, members, createdAt), oldest first",
    usage: "list-orgs",
    options: {},
    async run(services) {
      return (await services.organizations.listAll()).map(({ id, name, displayName, tier, trialEndsAt, members, createdAt }) => ({
        id,
        name,
        displayName,
        tier,
        trialEndsAt,
        members,
        createdAt,
      }));
    },
  },
  "list-tokens": {
    summary: "print tokens as a JSON array (ids for revoke-token; never a secret): all, one organization's or one user's",
    usage: "list-tokens [--org NAME | --user LOGIN] [--include-deleted]",
    options: { org: { type: "string" }, user: { type: "string" }, "include-deleted": { type: "boolean" } },
    async run(services, values) {
      if (values.org !== undefined && values.user !== undefined) throw new UsageError("give --org or --user, not both");
      const organization = values.org === undefined ? undefined : await requireOrganization(services, required(values, "org"));
      const user = values.user === undefined ? undefined : await requireUser(services, required(values, "user"));
      const rows = await services.tokens.listAny({ organization, user, includeDeleted: values["include-deleted"] === true });
      const present = (ids: (string | null)[]) => [...new Set(ids.filter((id): id is string => id !== null))];
      const orgNames = new Map((await services.organizations.byIds(present(rows.map((r) => r.organizationId)))).map((o) => [o.id, o.name]));
      const logins = new Map((await services.users.byIds(present(rows.map((r) => r.userId)))).map((u) => [u.id, u.login]));
      return rows.map((row) => ({
        id: row.id,
        kind: row.kind,
        ...(row.kind === "ORGANIZATION"
          ? { organization: orgNames.get(row.organizationId!) ?? null, name: row.name }
          : { user: logins.get(row.userId!) ?? null }),
        description: row.description,
        createdAt: row.createdAt,
        lastUsedAt: row.lastUsedAt,
        expiresAt: row.expiresAt,
        deletedAt: row.deletedAt,
      }));
    },
  },
  "create-org-token": {
    summary: "issue an organization token for CI, print its secret once (its creator: the oldest ADMIN, or --as)",
    usage: "create-org-token --org NAME --name TOKENNAME [--description D] [--expires ISO] [--as ADMIN_LOGIN]",
    options: {
      org: { type: "string" },
      name: { type: "string" },
      description: { type: "string" },
      expires: { type: "string" },
      as: { type: "string" },
    },
    async run(services, values) {
      const name = required(values, "name");
      const expiresAt = optionalDate(values, "expires");
      const organization = await requireOrganization(services, required(values, "org"));
      if (!isEntitled(organization)) {
        const why = organization.trialEndsAt ? `its ${organization.tier} trial has ended` : `it is on the ${organization.tier} tier`;
        throw new CliError(
          `"${organization.name}" cannot have organization tokens: ${why}. First run: npm run --silent admin -- set-subscription --org ${organization.name} --tier ENTERPRISE_GROWTH`,
        );
      }
      // the token's creator is a real admin of the organization; the audit event names the CLI
      const admin = await creatingAdmin(services, organization, values.as as string | undefined);
      const { row, secret } = await services.tokens.createForOrganization(
        cli(),
        organization,
        {
          organization: organization.name,
          name,
          description: (values.description as string | undefined) ?? "Created with the admin CLI",
          expiresAt,
        },
        admin,
      );
      const login = admin.login;
      return {
        token: { id: row.id, name: row.name, organization: organization.name, expiresAt: row.expiresAt },
        secret,
        createdBy: login,
        note: `createdBy "${login}", ${values.as ? "as asked" : `the oldest ADMIN of "${organization.name}"`}; the audit event names the admin CLI`,
      };
    },
  },
  "revoke-token": {
    summary: "incident response: revoke any personal or organization token by id (org tokens: audited as the system)",
    usage: "revoke-token --id UUID",
    options: { id: { type: "string" } },
    async run(services, values) {
      const row = await services.tokens.revokeAny(cli(), required(values, "id"));
      const owner =
        row.kind === "ORGANIZATION"
          ? { organization: (await services.organizations.byIds([row.organizationId!]))[0]?.name ?? null, name: row.name }
          : { user: (await services.users.byIds([row.userId!]))[0]?.login ?? null };
      return { revoked: { id: row.id, kind: row.kind, ...owner, deletedAt: row.deletedAt } };
    },
  },
};

function help(): string {
  const lines = Object.entries(COMMANDS).map(([, c]) => `  ${c.usage}\n      ${c.summary}`);
  return [
    "Gatehouse admin CLI. Uses the database at DATABASE_URL (PostgreSQL), else DATABASE_PATH (default ./data/gatehouse.db).",
    "",
    "usage: npm run --silent admin -- <command> [options]",
    "",
    "commands:",
    ...lines,
  ].join("\n");
}

export async function runAdminCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`gatehouse admin: unknown command "${name}"; run with --help to list the commands`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(`usage: npm run --silent admin -- ${command.usage}\n  ${command.summary}`);
    return 0;
  }
  try {
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
    const config = loadConfig(env);
    // each change commits on its own (no group commit: nothing here waits for a turn of the event loop)
    const store = await openStore(config, { groupCommit: false });
    try {
      const services = createServices(store, loadServerKey(config.secretKey, config.databasePath));
      console.log(JSON.stringify(await command.run(services, values)));
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof AppError || error instanceof CliError) {
      console.error(`gatehouse admin ${name}: ${error.message}`);
      return 1;
    }
    if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`gatehouse admin ${name}: ${(error as Error).message}\nusage: npm run --silent admin -- ${command.usage}`);
      return 2;
    }
    console.error(`gatehouse admin ${name}: failed: ${(error as Error).message}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await runAdminCli(process.argv.slice(2));
}
