import { Field, ID, Int, ObjectType } from "type-graphql";
import type { WebhookFormatValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { WebhookFormat } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

/** `deliveries` is resolved by WebhookResolver. The secret is never a field. */
@ObjectType({
  simpleResolvers: true,
  description: "Where an organization's events are delivered. Only organization admins and the organization's tokens reach it.",
})
export class Webhook {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => String, { description: "1–32 letters, digits, . _ -; unique in the organization, ignoring case." })
  name!: string;

  @Field(() => String, { description: "The name shown to people, at most 100 characters; the name unless another was given." })
  displayName!: string;

  @Field(() => String, {
    description:
      "Where deliveries go. Organization access tokens see only its origin (`https://host/…`): Slack and Teams URLs carry a key.",
  })
  payloadUrl!: string;

  @Field(() => Boolean, { description: "Whether a signing secret is set. The secret itself is never returned." })
  hasSecret!: boolean;

  @Field(() => Boolean, { description: "An inactive webhook receives no events (pingWebhook still reaches it)." })
  active!: boolean;

  @Field(() => WebhookFormat, { description: "The shape of its deliveries' bodies." })
  format!: WebhookFormatValue;

  @Field(() => [String], { description: "Event kinds delivered, e.g. stack_created, update_succeeded; empty means all." })
  filters!: string[];

  @Field(() => DateTimeScalar, { description: "When it was created." })
  createdAt!: Date;

  organizationId!: string;
}

@ObjectType({ simpleResolvers: true, description: "One attempt to deliver one event (or a ping) to a webhook." })
export class WebhookDelivery {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => String, { description: "Event kind, e.g. ping, stack_created, update_succeeded." })
  kind!: string;

  @Field(() => JSONScalar, { description: "The event, as the RAW format sends it (whatever the webhook's format)." })
  payload!: unknown;

  @Field(() => DateTimeScalar, { description: "When the attempt was sent." })
  timestamp!: Date;

  @Field(() => Int, { nullable: true, description: "Milliseconds from sending the request to its response or failure." })
  duration!: number | null;

  @Field(() => String, { description: "The payload URL it was sent to; only its origin for organization access tokens." })
  requestUrl!: string;

  @Field(() => JSONScalar, {
    description:
      "The headers sent, by name: content-type, user-agent, webhook-id, webhook-timestamp, and webhook-signature when a secret is set.",
  })
  requestHeaders!: Record<string, string>;

  @Field(() => Int, { nullable: true, description: "Null when no response came (timeout, refused, blocked)." })
  responseCode!: number | null;

  @Field(() => JSONScalar, { nullable: true, description: "The response's headers, by name; null when no response came." })
  responseHeaders!: Record<string, string> | null;

  @Field(() => String, { nullable: true, description: "At most 4 KiB of the response body; null when no response came." })
  responseBody!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Why no response came, e.g. "destination not allowed" or "connection refused"; null when one came.',
  })
  error!: string | null;

  @Field(() => Int, { description: "1 for the first attempt at a message, 2 for its first retry, and so on; 1 for a ping." })
  attempt!: number;
}

@ObjectType({ simpleResolvers: true, description: "A page of a webhook's delivery attempts, newest first." })
export class WebhookDeliveryConnection extends Connection(() => WebhookDelivery) {}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's webhooks, by name (ignoring case)." })
export class WebhookConnection extends Connection(() => Webhook) {}
