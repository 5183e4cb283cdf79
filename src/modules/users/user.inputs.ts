import { Field, InputType } from "type-graphql";

@InputType()
export class CreateUserInput {
  @Field(() => String, { description: "1–40 letters, digits, _ . -; unique ignoring case." })
  login!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  siteAdmin?: boolean | null;
}
