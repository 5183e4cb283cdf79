import { Field, ID, ObjectType } from "type-graphql";
import { PrincipalKind } from "../../graphql/enums.js";
import { DateTimeScalar } from "../../graphql/scalars.js";
import { OrganizationAccessToken } from "../access-tokens/access-token.type.js";
import { User } from "../users/user.type.js";

/** `organizations` is resolved by ViewerResolver. */
@ObjectType({ simpleResolvers: true, description: "The caller, as the presented token identifies it." })
export class Viewer {
  @Field(() => PrincipalKind, { description: "USER for a personal access token, ORGANIZATION_TOKEN for an organization access token." })
  kind!: keyof typeof PrincipalKind;

  @Field(() => User, { nullable: true, description: "The user, when the token is a personal access token." })
  user!: User | null;

  @Field(() => OrganizationAccessToken, {
    nullable: true,
    description: "The organization access token itself, when the caller is one.",
  })
  organizationToken!: OrganizationAccessToken | null;

  @Field(() => ID, { description: "The id of the token used for this request." })
  tokenId!: string;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the token used for this request expires; null when it never does.",
  })
  tokenExpiresAt!: Date | null;
}
