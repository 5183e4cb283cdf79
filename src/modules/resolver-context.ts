// What every resolver receives, as the features see it: the services they may call (no
// database handle, outbox or webhook sender), the per-request Access memo, the batching
// loaders and the request's running totals. The GraphQL layer builds it
// (src/graphql/context.ts: its Context extends this one, its Loaders implement
// ResolverLoaders), so the features need nothing from the GraphQL assembly above them.
import type DataLoader from "dataloader";
import type { Caller } from "../auth/principal.js";
import type { OrganizationRow, UserRow } from "../db/rows.js";
import type { CursorCodec } from "../lib/pagination.js";
import type { ResponseBudget } from "../lib/response-budget.js";
import type { Access } from "../permissions/access.js";
import type { AccessTokenLists } from "./access-tokens/access-token-lists.js";
import type { AccessTokenService } from "./access-tokens/access-token.service.js";
import type { AuditLogService } from "./audit/audit.service.js";
import type { MemberService } from "./members/member.service.js";
import type { OrganizationService } from "./organizations/organization.service.js";
import type { StackTagService } from "./stack-tags/tag.service.js";
import type { StackTag } from "./stack-tags/tag.type.js";
import type { UpdateService } from "./stack-updates/update.service.js";
import type { StackService } from "./stacks/stack.service.js";
import type { TeamLists } from "./teams/team-lists.js";
import type { GrantRow, TeamService } from "./teams/team.service.js";
import type { UserService } from "./users/user.service.js";
import type { WebhookService } from "./webhooks/webhook.service.js";

/** The services resolvers call (src/services.ts builds them). */
export interface FeatureServices {
  readonly cursors: CursorCodec;
  readonly tokens: AccessTokenService;
  readonly tokenLists: AccessTokenLists;
  readonly users: UserService;
  readonly organizations: OrganizationService;
  readonly members: MemberService;
  readonly stacks: StackService;
  readonly tags: StackTagService;
  readonly updates: UpdateService;
  readonly teams: TeamService;
  readonly teamLists: TeamLists;
  readonly auditLog: AuditLogService;
  readonly webhooks: WebhookService;
}

/** Per-request DataLoaders, keyed by id (pages: by pageKey of src/lib/pagination.ts). */
/** The loaders a request's resolvers batch their lookups through, by name (src/graphql/loaders.ts). */
export interface LoaderTypes {
  readonly userById: UserRow | undefined;
  readonly organizationById: OrganizationRow | undefined;
  readonly tagsByStackId: StackTag[];
  readonly teamMembers: UserRow[];
  readonly teamGrants: GrantRow[];
  readonly teamMemberPage: UserRow[];
  readonly teamGrantPage: GrantRow[];
  readonly teamMemberCount: number;
  readonly teamGrantCount: number;
  /** Whether the caller may see the user's email (src/permissions/visibility.ts). */
  readonly emailVisible: boolean;
}

export interface ResolverLoaders {
  /** The request's loader `name`, made when first asked for. */
  of<K extends keyof LoaderTypes>(name: K): DataLoader<string, LoaderTypes[K]>;
}

/** What a request has used so far, shared by its resolvers. */
export interface ResolverRequestState {
  /** Stacks whose state this request read (and audited) already. */
  readonly statesRead: Set<string>;
  /** Webhook pings this request sent (capped: each may take the whole delivery timeout). */
  pings: number;
  /** What the response may still grow by (MAX_RESPONSE_BYTES). */
  readonly responseBudget: ResponseBudget;
}

export interface ResolverContext {
  readonly caller: Caller;
  readonly services: FeatureServices;
  /** What the caller can reach, memoised for this request. */
  readonly access: Access;
  readonly loaders: ResolverLoaders;
  readonly requestState: ResolverRequestState;
}
