import { Field, ID, InputType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

@InputType({ description: "A new personal access token of the caller's (createPersonalAccessToken)." })
export class CreatePersonalAccessTokenInput {
  @Field(() => String, { description: "What the token is for (1–200 characters)." })
  description!: string;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "In the future and at most two years away; omitted or null: the token never expires.",
  })
  expiresAt?: Date | null;
}

@InputType({ description: "A new organization access token (createOrganizationAccessToken)." })
export class CreateOrganizationAccessTokenInput {
  @Field(() => String, { description: "The organization's name (any letter case)." })
  organization!: string;

  @Field(() => String, {
    description: "1–40 letters, digits, _ . -; unique ignoring case among all of the organization's tokens, deleted ones included.",
  })
  name!: string;

  @Field(() => String, { nullable: true, defaultValue: "", description: "What the token is for, at most 200 characters." })
  description?: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "In the future and at most two years away; omitted or null: the token never expires.",
  })
  expiresAt?: Date | null;
}

@InputType({ description: "A personal access token of the caller's (revokePersonalAccessToken)." })
export class RevokePersonalAccessTokenInput {
  @Field(() => ID, { description: "The token's id (a UUID)." })
  id!: string;
}

@InputType({ description: "An organization access token (revokeOrganizationAccessToken)." })
export class RevokeOrganizationAccessTokenInput {
  @Field(() => String, { description: "The organization the token belongs to." })
  organization!: string;

  @Field(() => ID, { description: "The token's id (a UUID)." })
  id!: string;
}
