import { Field, InputType } from "type-graphql";

@InputType({ description: "A new user (createUser)." })
export class CreateUserInput {
  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  login!: string;

  @Field(() => String, { nullable: true, description: "The user's full name, at most 100 characters; null or blank: none." })
  name?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "An email address (at most 254 characters, with an @); null or empty: none. Shown only as User.email allows.",
  })
  email?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Makes the user a site administrator: creates users, sets subscriptions, sees every email address.",
  })
  siteAdmin?: boolean | null;
}
