import { Field, ObjectType } from "type-graphql";

@ObjectType()
export class StackTag {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  value!: string;
}
