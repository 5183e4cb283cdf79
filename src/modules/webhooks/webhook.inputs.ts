import { Field, InputType } from "type-graphql";
import type { WebhookFormatValue } from "../../db/schema.js";
import { WebhookFormat } from "../../graphql/enums.js";

@InputType()
export class CreateWebhookInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String, { description: "1–32 letters, digits, . _ -; unique in the organization." })
  name!: string;

  @Field(() => String, { nullable: true, description: "Defaults to the name." })
  displayName?: string | null;

  @Field(() => String, { description: "http(s) URL the events are POSTed to." })
  payloadUrl!: string;

  @Field(() => String, {
    nullable: true,
    description: "Standard Webhooks signing secret: whsec_ + base64 of 24–64 bytes. Write-only.",
  })
  secret?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true })
  active?: boolean | null;

  @Field(() => WebhookFormat, { nullable: true, defaultValue: "RAW" })
  format?: WebhookFormatValue | null;

  @Field(() => [String], { nullable: true, defaultValue: [], description: "Event kinds to deliver; empty means all." })
  filters?: string[] | null;
}

@InputType()
export class UpdateWebhookInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  displayName?: string | null;

  @Field(() => String, { nullable: true })
  payloadUrl?: string | null;

  @Field(() => String, { nullable: true, description: "A new signing secret; omitted or null keeps the current one." })
  secret?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: "Remove the signing secret." })
  clearSecret?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  active?: boolean | null;

  @Field(() => WebhookFormat, { nullable: true })
  format?: WebhookFormatValue | null;

  @Field(() => [String], { nullable: true })
  filters?: string[] | null;
}

@InputType()
export class WebhookRefInput {
  @Field(() => String)
  organization!: string;

  @Field(() => String)
  name!: string;
}
