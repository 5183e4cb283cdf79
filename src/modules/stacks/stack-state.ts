// Stack state (a Pulumi deployment export) as the API accepts it.
import { BadUserInputError, type FieldPath } from "../../errors.js";

export interface CheckedState {
  /** The JSON text to store. */
  readonly json: string;
  /** Resources in `deployment.resources` (or `resources`). */
  readonly resourceCount: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Accepts `{ version, deployment: { manifest, resources: [...] } }` (what `pulumi stack
 * export` writes) or the deployment object itself; anything else is BAD_USER_INPUT.
 */
export function checkState(state: unknown, field: FieldPath): CheckedState {
  if (!isObject(state)) throw new BadUserInputError("state must be a JSON object (a deployment export)", { field });
  const resources = isObject(state.deployment) && state.deployment.resources != null ? state.deployment.resources : state.resources;
  if (resources !== undefined && resources !== null && !Array.isArray(resources)) {
    const where = isObject(state.deployment) && state.deployment.resources != null ? "deployment.resources" : "resources";
    throw new BadUserInputError(`state.${where} must be an array`, { field: `${field}.${where}` });
  }
  return { json: JSON.stringify(state), resourceCount: Array.isArray(resources) ? resources.length : 0 };
}
