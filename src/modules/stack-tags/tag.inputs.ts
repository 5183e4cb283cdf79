import { Field, InputType } from "type-graphql";
import { StackRef } from "../stacks/stack.inputs.js";

@InputType()
export class SetStackTagInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => String, { description: "1–40 of letters, digits, - _ . :; not a built-in tag." })
  name!: string;

  @Field(() => String, { description: "At most 256 characters." })
  value!: string;
}

@InputType()
export class DeleteStackTagInput {
  @Field(() => StackRef)
  stack!: StackRef;

  @Field(() => String)
  name!: string;
}
