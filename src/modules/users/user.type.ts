import { Field, ID, ObjectType } from "type-graphql";
import { DateTimeScalar } from "../../graphql/scalars.js";

/** `email` is resolved by UserResolver, which shows it only to those allowed to see it. */
@ObjectType({ simpleResolvers: true, description: "A person with a login; acts through personal access tokens." })
export class User {
  @Field(() => ID, { description: "Opaque id." })
  id!: string;

  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  login!: string;

  @Field(() => String, { nullable: true, description: "The user's full name; null when none was given." })
  name!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "URL of the user's picture; null when none is set (no operation of this API sets one).",
  })
  avatarUrl!: string | null;

  @Field(() => Boolean, {
    description: "A site administrator: creates users, sets organizations' subscriptions, sees every email address.",
  })
  isSiteAdmin!: boolean;

  @Field(() => DateTimeScalar, { description: "When the user was created." })
  createdAt!: Date;
}
