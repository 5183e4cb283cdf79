import { Field, ID, ObjectType } from "type-graphql";
import { Connection } from "../../graphql/connection.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@ObjectType({ simpleResolvers: true, description: "A token that acts as its user, in every organization the user belongs to." })
export class PersonalAccessToken {
  @Field(() => ID, { description: "A UUID." })
  id!: string;

  @Field(() => String, { description: "What the token is for, as given at creation." })
  description!: string;

  @Field(() => DateTimeScalar, { description: "When it was issued." })
  createdAt!: Date;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "Last time the token successfully authenticated a request (to the minute); null when never used.",
  })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Null when the token never expires." })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When it was revoked; null while it is live. Listed only with includeDeleted.",
  })
  deletedAt!: Date | null;
}

/** `organization` and `createdBy` are resolved by OrganizationAccessTokenResolver. */
@ObjectType({
  simpleResolvers: true,
  description: "A token that belongs to an organization, not to a person: WRITE on every stack of its organization.",
})
export class OrganizationAccessToken {
  @Field(() => ID, { description: "A UUID." })
  id!: string;

  @Field(() => String, {
    description: "1–40 letters, digits, _ . -; unique ignoring case among all of the organization's tokens, deleted ones included.",
  })
  name!: string;

  @Field(() => String, { description: "What the token is for, as given at creation; may be empty." })
  description!: string;

  @Field(() => DateTimeScalar, { description: "When it was issued." })
  createdAt!: Date;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "Last time the token successfully authenticated a request (to the minute); null when never used.",
  })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "Null when the token never expires." })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true, description: "When it was revoked; null while it is live." })
  deletedAt!: Date | null;

  organizationId!: string;
  createdByUserId!: string | null;
}

@ObjectType({ simpleResolvers: true, description: "Returned once, at creation: the secret is never shown again." })
export class CreatePersonalAccessTokenPayload {
  @Field(() => PersonalAccessToken, { description: "The new token." })
  token!: PersonalAccessToken;

  @Field(() => String, { description: "The secret: store it now, it is never shown again." })
  secret!: string;
}

@ObjectType({ simpleResolvers: true, description: "Returned once, at creation: the secret is never shown again." })
export class CreateOrganizationAccessTokenPayload {
  @Field(() => OrganizationAccessToken, { description: "The new token." })
  token!: OrganizationAccessToken;

  @Field(() => String, { description: "The secret: store it now, it is never shown again." })
  secret!: string;
}

@ObjectType({ simpleResolvers: true, description: "A page of the calling user's personal access tokens, oldest first." })
export class PersonalAccessTokenConnection extends Connection(() => PersonalAccessToken) {}

@ObjectType({ simpleResolvers: true, description: "A page of an organization's access tokens, by name (ignoring case)." })
export class OrganizationAccessTokenConnection extends Connection(() => OrganizationAccessToken) {}
