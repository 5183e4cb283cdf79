import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** `email` is resolved by UserResolver, which shows it only to those allowed to see it. */
@ObjectType({ simpleResolvers: true, description: "A person with a login; acts through personal access tokens." })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  login!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => String, { nullable: true })
  avatarUrl!: string | null;

  @Field(() => Boolean)
  isSiteAdmin!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}
