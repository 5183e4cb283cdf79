import type { OrganizationRow } from "../../db/rows.js";
import { Arg, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import { BadUserInputError } from "../../errors.js";
import type { ResolverContext as Context } from "../resolver-context.js";
import { Organization } from "../organizations/organization.type.js";
import { CreateWebhookInput, UpdateWebhookInput, WebhookRefInput } from "./webhook.inputs.js";
import { ListCursors } from "../../lib/pagination.js";
import { toDelivery, toWebhook } from "./webhook.service.js";
import { Webhook, WebhookConnection, WebhookDelivery, WebhookDeliveryConnection } from "./webhook.type.js";

const MAX_PINGS_PER_REQUEST = 3;

@Resolver(() => Webhook)
export class WebhookResolver {
  @Mutation(() => Webhook, {
    description: "Creates a webhook; at most 20 per organization. CONFLICT when the name is taken. Organization admins and tokens.",
  })
  async createWebhook(
    @Arg("input", () => CreateWebhookInput, { description: "The organization and the new webhook." }) input: CreateWebhookInput,
    @Ctx() ctx: Context,
  ): Promise<Webhook> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return toWebhook(await ctx.services.webhooks.create(ctx.caller, organization, input), ctx.caller.principal);
  }

  @Mutation(() => Webhook, {
    description: "Only the fields given change; the secret stays unless replaced or cleared. Organization admins only.",
  })
  async updateWebhook(
    @Arg("input", () => UpdateWebhookInput, { description: "The webhook and the fields to change." }) input: UpdateWebhookInput,
    @Ctx() ctx: Context,
  ): Promise<Webhook> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return toWebhook(await ctx.services.webhooks.update(ctx.caller, organization, input), ctx.caller.principal);
  }

  @Mutation(() => Boolean, {
    description: "Deletes a webhook with its pending deliveries and delivery history. Organization admins only.",
  })
  async deleteWebhook(
    @Arg("input", () => WebhookRefInput, { description: "The organization and the webhook's name." }) input: WebhookRefInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const organization = await ctx.access.requireOrganization(input.organization);
    return ctx.services.webhooks.delete(ctx.caller, organization, input.name);
  }

  @Mutation(() => WebhookDelivery, {
    description:
      "Sends a ping now, active or not, and returns its delivery (also when it failed); at most 3 per request. Audited as webhook-pinged. Organization admins and tokens.",
  })
  async pingWebhook(
    @Arg("input", () => WebhookRefInput, { description: "The organization and the webhook's name." }) input: WebhookRefInput,
    @Ctx() ctx: Context,
  ): Promise<WebhookDelivery> {
    const organization = await ctx.access.requireOrganization(input.organization);
    // each ping may wait the whole delivery timeout: a request sends a few at most
    if (++ctx.requestState.pings > MAX_PINGS_PER_REQUEST) {
      throw new BadUserInputError(`at most ${MAX_PINGS_PER_REQUEST} pings per request`);
    }
    return toDelivery(await ctx.services.webhooks.ping(ctx.caller, organization, input.name), ctx.caller.principal);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "List Webhook Deliveries: every attempt, newest first." })
  async deliveries(
    @Root() webhook: Webhook,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<WebhookDeliveryConnection> {
    const { page, count } = await ctx.services.webhooks.deliveries(webhook, first, after, ctx.requestState.responseBudget.charge);
    return new WebhookDeliveryConnection({ ...page, nodes: page.nodes.map((row) => toDelivery(row, ctx.caller.principal)) }, count);
  }
}

@Resolver(() => Organization)
export class OrganizationWebhooksResolver {
  @FieldResolver(() => [Webhook], {
    nullable: true,
    description: "List Webhooks, by name ignoring case. Null with a FORBIDDEN error for callers who may not.",
    deprecationReason: "Use webhooksConnection: paged, and non-null for the callers who may read it.",
  })
  async webhooks(@Root() organization: OrganizationRow, @Ctx() ctx: Context): Promise<Webhook[]> {
    return (await ctx.services.webhooks.list(organization)).map((row) => toWebhook(row, ctx.caller.principal));
  }

  @FieldResolver(() => WebhookConnection, {
    description:
      "The organization's webhooks, paged, by name ignoring case. Organization admins and tokens only: for anyone else it is a FORBIDDEN error (and, being non-null, the organization is null).",
  })
  async webhooksConnection(
    @Root() organization: OrganizationRow,
    @Arg("first", () => Int, { nullable: true, defaultValue: 50, description: "1–100." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<WebhookConnection> {
    const cursors = new ListCursors(ctx.services.cursors, `webhooks:${organization.id}`);
    const request = cursors.request(first, after);
    const page = cursors.page(await ctx.services.webhooks.page(organization, request), request.size, (w) => [w.name.toLowerCase()]);
    return new WebhookConnection({ ...page, nodes: page.nodes.map((row) => toWebhook(row, ctx.caller.principal)) }, () =>
      ctx.services.webhooks.count(organization),
    );
  }

  @FieldResolver(() => Webhook, { nullable: true, description: "Get Webhook: by name; null when the organization has none of that name." })
  async webhook(
    @Root() organization: OrganizationRow,
    @Arg("name", () => String, { description: "The webhook's name (any letter case)." }) name: string,
    @Ctx() ctx: Context,
  ): Promise<Webhook | null> {
    const row = await ctx.services.webhooks.byName(organization, name);
    return row ? toWebhook(row, ctx.caller.principal) : null;
  }
}
