// The composition root, with src/server.ts: builds every service once, around one database
// (the admin CLI and the scripts use these alone; the server adds its HTTP parts).
import { Authenticator } from "./auth/authenticate.js";
import type { Store } from "./db/store.js";
import { deriveKey } from "./lib/server-key.js";
import { CursorCodec } from "./lib/pagination.js";
import { AccessTokenLists } from "./modules/access-tokens/access-token-lists.js";
import { AccessTokenService } from "./modules/access-tokens/access-token.service.js";
import { AuditLogService } from "./modules/audit/audit.service.js";
import { AuditWriter } from "./modules/audit/audit.writer.js";
import { RefusalRecorder } from "./modules/audit/refusal-recorder.js";
import { MemberService } from "./modules/members/member.service.js";
import { OrganizationService } from "./modules/organizations/organization.service.js";
import { StackTagService } from "./modules/stack-tags/tag.service.js";
import { UpdateService } from "./modules/stack-updates/update.service.js";
import { StackService } from "./modules/stacks/stack.service.js";
import { TeamLists } from "./modules/teams/team-lists.js";
import { TeamService } from "./modules/teams/team.service.js";
import { WebhookOutbox } from "./modules/webhooks/webhook-outbox.js";
import { type SenderOptions, WebhookSender } from "./modules/webhooks/webhook-sender.js";
import { WebhookService } from "./modules/webhooks/webhook.service.js";
import { SecretBox } from "./lib/secret-box.js";
import { UserService } from "./modules/users/user.service.js";
import { AccessQueries } from "./permissions/access.js";
import { isEntitled } from "./permissions/entitlements.js";

export interface ServiceOptions {
  /** Webhook deliveries: the SSRF guard (off only for development and tests) and the attempt timeout. */
  readonly webhooks?: SenderOptions;
  /** `auth-failure-*` events per principal and minute (AUDIT_REFUSAL_EVENTS_PER_PRINCIPAL). */
  readonly refusalEventsPerPrincipal?: number;
  /** Organizations a user may create (MAX_ORGANIZATIONS_PER_USER). */
  readonly maxOrganizationsPerUser?: number;
}

export function createServices(store: Store, serverKey: Buffer, options: ServiceOptions = {}) {
  const audit = new AuditWriter(store);
  const cursors = new CursorCodec(deriveKey(serverKey, "cursor"));
  const tokens = new AccessTokenService(store, audit);
  const outbox = new WebhookOutbox(store);
  const webhookSecrets = new SecretBox(serverKey, "webhook-secret");
  const webhookSender = new WebhookSender(options.webhooks ?? { allowPrivateNetworks: false, timeoutMs: 10_000 });
  const stacks = new StackService(store, audit, cursors, outbox);
  const users = new UserService(store, tokens);
  return {
    store,
    audit,
    cursors,
    authenticator: new Authenticator(store, isEntitled),
    accessQueries: new AccessQueries(store),
    tokens,
    tokenLists: new AccessTokenLists(store, cursors),
    users,
    organizations: new OrganizationService(store, audit, options.maxOrganizationsPerUser ?? 10),
    refusals: new RefusalRecorder(store, audit, options.refusalEventsPerPrincipal ?? 60),
    members: new MemberService(store, audit, cursors, users),
    stacks,
    tags: new StackTagService(store, audit),
    updates: new UpdateService(store, audit, cursors, stacks, outbox),
    teams: new TeamService(store, audit, users),
    teamLists: new TeamLists(store),
    auditLog: new AuditLogService(store, audit, cursors),
    outbox,
    webhookSecrets,
    webhookSender,
    webhooks: new WebhookService(store, audit, cursors, webhookSecrets, webhookSender),
  };
}

export type Services = ReturnType<typeof createServices>;
