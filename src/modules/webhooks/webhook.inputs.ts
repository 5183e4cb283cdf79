import { Field, InputType } from "type-graphql";
import type { WebhookFormatValue } from "../../db/schema.js";
import { WebhookFormat } from "../../graphql/enums.js";

@InputType({ description: "A new webhook (createWebhook)." })
export class CreateWebhookInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "1–32 letters, digits, . _ -; unique in the organization." })
  name!: string;

  @Field(() => String, { nullable: true, description: "At most 100 characters, not blank; defaults to the name." })
  displayName?: string | null;

  @Field(() => String, {
    description:
      "http(s) URL the events are POSTed to: at most 2,048 characters, no credentials, no #fragment. Where it points is checked at each delivery.",
  })
  payloadUrl!: string;

  @Field(() => String, {
    nullable: true,
    description: "Standard Webhooks signing secret: whsec_ + base64 of 24–64 bytes. Write-only.",
  })
  secret?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: "False: the webhook receives no events until activated." })
  active?: boolean | null;

  @Field(() => WebhookFormat, { nullable: true, defaultValue: "RAW", description: "The shape of its deliveries' bodies." })
  format?: WebhookFormatValue | null;

  @Field(() => [String], {
    nullable: true,
    defaultValue: [],
    description:
      "Event kinds to deliver; empty means all. Kinds: stack_created, stack_deleted, and update_, preview_, destroy_, refresh_, import_ each with succeeded or failed (a cancelled update is _failed).",
  })
  filters?: string[] | null;
}

@InputType({ description: "Changes to a webhook (updateWebhook): only the fields given change." })
export class UpdateWebhookInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The webhook's name (any letter case); a name does not change." })
  name!: string;

  @Field(() => String, { nullable: true, description: "A new display name: at most 100 characters, not blank." })
  displayName?: string | null;

  @Field(() => String, { nullable: true, description: "A new payload URL, as createWebhook takes it." })
  payloadUrl?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "A new signing secret (whsec_ + base64 of 24–64 bytes); omitted or null keeps the current one. Not with clearSecret.",
  })
  secret?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Remove the signing secret." })
  clearSecret?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "Turns deliveries on (true) or off (false)." })
  active?: boolean | null;

  @Field(() => WebhookFormat, { nullable: true, description: "A new shape for its deliveries' bodies." })
  format?: WebhookFormatValue | null;

  @Field(() => [String], { nullable: true, description: "New event kinds to deliver, as createWebhook takes them; empty means all." })
  filters?: string[] | null;
}

@InputType({ description: "A webhook, by organization and name." })
export class WebhookRefInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, { description: "The webhook's name (any letter case)." })
  name!: string;
}
