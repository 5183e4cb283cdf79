// The cost of an operation as it will run: every field counts once per element its list
// argument (`first`, or `last`) can return, with that argument as the resolver will see it —
// a literal, a variable's coerced value, or the schema's default when it is left out or null
// (the resolvers apply the default to an explicit null too). @skip/@include are evaluated.
// Objects cost 2, leaves 1, introspection nothing. graphql-armor's cost rule, which this
// replaces, sees only literals: `first: $n` and a left-out `first` counted as 1.
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isObjectType,
  isInterfaceType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";

const OBJECT_COST = 2;
const LEAF_COST = 1;
const LIST_ARGUMENTS = ["first", "last"];

type Variables = Readonly<Record<string, unknown>>;

export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Variables,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation) ?? undefined;
  // a fragment's cost does not depend on where it is spread (arguments are literals or
  // operation-wide variables): computed once each, so nested spreads cannot blow up the walk
  const fragmentCosts = new Map<string, number>();

  const included = (node: FieldNode | { directives?: FieldNode["directives"] }): boolean => {
    for (const directive of node.directives ?? []) {
      const name = directive.name.value;
      if (name !== "skip" && name !== "include") continue;
      const condition = directive.arguments?.find((a) => a.name.value === "if")?.value;
      const value = condition ? literalOrVariable(condition, variables) : undefined;
      if (name === "skip" && value === true) return false;
      if (name === "include" && value === false) return false;
    }
    return true;
  };

  const selectionCost = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        cost += selectionCost(selection.selectionSet, type ?? undefined);
      } else {
        const name = selection.name.value;
        let known = fragmentCosts.get(name);
        if (known === undefined) {
          const fragment = fragments.get(name);
          fragmentCosts.set(name, 0); // a cycle (refused by validation anyway) adds nothing
          known = fragment ? selectionCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined) : 0;
          fragmentCosts.set(name, known);
        }
        cost += known;
      }
    }
    return cost;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType | undefined): number => {
    const name = node.name.value;
    if (name === "__schema" || name === "__type") return 0;
    if (!node.selectionSet) return LEAF_COST;
    const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    const type = field ? getNamedType(field.type) : undefined;
    return (OBJECT_COST + selectionCost(node.selectionSet, type)) * listMultiplier(node, field, variables);
  };

  return selectionCost(operation.selectionSet, root);
}

/** How many elements the field's `first`/`last` lets it return (1 for a field without them). */
function listMultiplier(node: FieldNode, field: GraphQLField<unknown, unknown> | undefined, variables: Variables): number {
  for (const argumentName of LIST_ARGUMENTS) {
    const definition = field?.args.find((a) => a.name === argumentName);
    const given = node.arguments?.find((a) => a.name.value === argumentName);
    if (!definition && !given) continue;
    let value = given ? literalOrVariable(given.value, variables) : undefined;
    if (value === undefined || value === null) value = definition?.defaultValue;
    return typeof value === "number" && Number.isFinite(value) ? Math.max(1, Math.trunc(value)) : 1;
  }
  return 1;
}

function literalOrVariable(value: ValueNode, variables: Variables): unknown {
  if (value.kind === Kind.VARIABLE) return variables[value.name.value];
  if (value.kind === Kind.INT) return Number.parseInt(value.value, 10);
  if (value.kind === Kind.BOOLEAN) return value.value;
  if (value.kind === Kind.NULL) return null;
  return undefined; // anything else fails validation for an Int or Boolean argument
}
