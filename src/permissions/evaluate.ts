// Asks the permission map about an operation outside GraphQL (the HTTP export route), so
// that route has no rule of its own: it obeys the map entry of the GraphQL field it mirrors.
import type { GraphQLResolveInfo } from "graphql";
import type { IRule } from "graphql-shield";
import type { Context } from "../graphql/context.js";
import { ForbiddenError } from "../errors.js";
import { permissionRules } from "./index.js";

type RuleMap = Record<string, Record<string, IRule> | IRule>;

interface Resolvable {
  resolve(parent: unknown, args: unknown, ctx: unknown, info: unknown, options: unknown): Promise<boolean | Error>;
}

/** true, or the error the map returns for `typeName.fieldName` with this parent and args. */
export async function evaluatePermission(
  typeName: string,
  fieldName: string,
  parent: unknown,
  args: Record<string, unknown>,
  ctx: Context,
): Promise<true | Error> {
  const typeRules = (permissionRules as unknown as RuleMap)[typeName];
  const rule = (typeRules && (typeRules as Record<string, IRule>)[fieldName]) as unknown as Resolvable | undefined;
  if (!rule) return new ForbiddenError("you are not allowed to do this");
  const info = { parentType: { name: typeName }, fieldName } as unknown as GraphQLResolveInfo;
  // no rule of the map uses the "strict" cache, so no hash function is needed
  const options = { debug: false, allowExternalErrors: true };
  const result = await rule.resolve(parent, args, { ...ctx, _shield: { cache: {} } }, info, options);
  if (result === true) return true;
  return result instanceof Error ? result : new ForbiddenError("you are not allowed to do this");
}
