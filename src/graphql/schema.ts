import type { GraphQLSchema } from "graphql";
import { applyMiddleware, type IMiddlewareFieldMap, type IMiddlewareGenerator, type IMiddlewareTypeMap } from "graphql-middleware";
import { allow } from "graphql-shield";
import { buildSchemaSync } from "type-graphql";
import {
  OrganizationAccessTokenResolver,
  OrganizationTokensResolver,
  PersonalAccessTokenResolver,
} from "../modules/access-tokens/access-token.resolver.js";
import { AuditLogResolver } from "../modules/audit/audit.resolver.js";
import { MemberResolver } from "../modules/members/member.resolver.js";
import { OrganizationResolver } from "../modules/organizations/organization.resolver.js";
import { StackTagResolver } from "../modules/stack-tags/tag.resolver.js";
import { StackHistoryResolver, StackUpdateResolver } from "../modules/stack-updates/update.resolver.js";
import { OrganizationStacksResolver, StackResolver } from "../modules/stacks/stack.resolver.js";
import { OrganizationTeamsResolver, TeamResolver, TeamStackGrantResolver } from "../modules/teams/team.resolver.js";
import { ActorResolver } from "../modules/users/actor.type.js";
import { UserResolver } from "../modules/users/user.resolver.js";
import { ViewerResolver } from "../modules/viewer/viewer.resolver.js";
import { OrganizationWebhooksResolver, WebhookResolver } from "../modules/webhooks/webhook.resolver.js";
import { effectiveRule, permissions } from "../permissions/index.js";
import type { Context } from "./context.js";
import { DateTimeScalar } from "./scalars.js";

export const RESOLVERS = [
  ViewerResolver,
  UserResolver,
  ActorResolver,
  OrganizationResolver,
  MemberResolver,
  PersonalAccessTokenResolver,
  OrganizationAccessTokenResolver,
  OrganizationTokensResolver,
  StackResolver,
  OrganizationStacksResolver,
  StackTagResolver,
  StackUpdateResolver,
  StackHistoryResolver,
  TeamResolver,
  TeamStackGrantResolver,
  OrganizationTeamsResolver,
  AuditLogResolver,
  WebhookResolver,
  OrganizationWebhooksResolver,
] as const;

let bareSchema: GraphQLSchema | undefined;
let guardedSchema: GraphQLSchema | undefined;

/** The schema as type-graphql builds it, without the permission map (what schema.graphql shows). */
export function buildBareSchema(): GraphQLSchema {
  bareSchema ??= buildSchemaSync({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return bareSchema;
}

/**
 * After each mutation, the request's memoised access answers and DataLoader caches are
 * dropped, so what the mutation returns (and every later mutation of the same request)
 * reads the data as it now is.
 */
const freshAfterMutations: IMiddlewareTypeMap<unknown, Context> = {
  Mutation: async (resolve, root, args, ctx, info) => {
    try {
      return (await resolve(root, args, ctx, info)) as unknown;
    } finally {
      ctx.invalidate();
    }
  },
};

/**
 * The same middleware stack without the permission map: for the benchmark that measures
 * what the map costs (test/bench/), never for serving. Not reachable from configuration.
 */
export function buildSchemaWithoutPermissionsForBenchmark(): GraphQLSchema {
  return applyMiddleware(buildBareSchema(), freshAfterMutations);
}

/**
 * The schema the server runs: every field behind the permission map. Shield generates a
 * middleware for every field of every type; the fields whose rule is `allow` lose theirs
 * (it would only call the resolver), so they resolve at full speed, while every field with a
 * real rule — and every field the map forgot, which the deny fallback refuses — keeps it.
 */
export function buildGuardedSchema(): GraphQLSchema {
  if (!guardedSchema) {
    const schema = buildBareSchema();
    const generated = (permissions as IMiddlewareGenerator<unknown, Context, unknown>).generate(schema) as Record<
      string,
      Record<string, unknown>
    >;
    for (const [typeName, fields] of Object.entries(generated)) {
      for (const fieldName of Object.keys(fields)) if (effectiveRule(typeName, fieldName) === allow) delete fields[fieldName];
    }
    guardedSchema = applyMiddleware(schema, generated as IMiddlewareFieldMap, freshAfterMutations);
  }
  return guardedSchema;
}
