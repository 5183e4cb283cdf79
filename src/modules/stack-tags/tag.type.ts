import { Field, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true })
export class StackTag {
  @Field(() => String)
  name!: string;

  @Field(() => String)
  value!: string;
}
