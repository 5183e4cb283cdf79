import { Field, ID, Int, ObjectType } from "type-graphql";
import type { WebhookFormatValue } from "../../db/schema.js";
import { Connection } from "../../graphql/connection.js";
import { WebhookFormat } from "../../graphql/enums.js";
import { DateTimeScalar, JSONScalar } from "../../graphql/scalars.js";

/** `deliveries` is resolved by WebhookResolver. The secret is never a field. */
@ObjectType({ simpleResolvers: true })
export class Webhook {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Unique within the organization." })
  name!: string;

  @Field(() => String)
  displayName!: string;

  @Field(() => String, {
    description:
      "Where deliveries go. Organization access tokens see only its origin (`https://host/…`): Slack and Teams URLs carry a key.",
  })
  payloadUrl!: string;

  @Field(() => Boolean, { description: "Whether a signing secret is set. The secret itself is never returned." })
  hasSecret!: boolean;

  @Field(() => Boolean)
  active!: boolean;

  @Field(() => WebhookFormat)
  format!: WebhookFormatValue;

  @Field(() => [String], { description: "Event kinds delivered; empty means all." })
  filters!: string[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  organizationId!: string;
}

@ObjectType({ simpleResolvers: true })
export class WebhookDelivery {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: "Event kind, e.g. ping, stack_created, update_succeeded." })
  kind!: string;

  @Field(() => JSONScalar)
  payload!: unknown;

  @Field(() => DateTimeScalar)
  timestamp!: Date;

  @Field(() => Int, { nullable: true, description: "Milliseconds from sending the request to receiving the response." })
  duration!: number | null;

  @Field(() => String, { description: "The payload URL it was sent to; only its origin for organization access tokens." })
  requestUrl!: string;

  @Field(() => JSONScalar)
  requestHeaders!: Record<string, string>;

  @Field(() => Int, { nullable: true, description: "Null when no response came (timeout, refused, blocked)." })
  responseCode!: number | null;

  @Field(() => JSONScalar, { nullable: true })
  responseHeaders!: Record<string, string> | null;

  @Field(() => String, { nullable: true, description: "At most 4 KiB of the response body." })
  responseBody!: string | null;

  @Field(() => String, { nullable: true, description: "Why no response came, when none did." })
  error!: string | null;

  @Field(() => Int)
  attempt!: number;
}

@ObjectType({ simpleResolvers: true })
export class WebhookDeliveryConnection extends Connection(() => WebhookDelivery) {}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's webhooks, by name (ignoring case)." })
export class WebhookConnection extends Connection(() => Webhook) {}
