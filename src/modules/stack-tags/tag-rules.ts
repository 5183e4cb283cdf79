// Stack tag rules (CONTRACT.md §3).
import { BadUserInputError, type FieldPath } from "../../errors.js";
import { checkText, quote } from "../../lib/validation.js";

/** Set by createStack (and the CLI); never by setStackTag or deleteStackTag. */
export const BUILT_IN_TAGS: ReadonlySet<string> = new Set([
  "pulumi:project",
  "pulumi:runtime",
  "pulumi:description",
  "pulumi:template",
  "vcs:owner",
  "vcs:repo",
  "vcs:kind",
  "vcs:root",
]);

export const PROJECT_TAG = "pulumi:project";
/** Tags per stack, built-in ones included: a stack's tags are read in every stack list. */
export const MAX_TAGS_PER_STACK = 50;
export const MAX_TAG_VALUE_LENGTH = 256;

export function checkTagName(name: string, field: FieldPath): string {
  if (!/^[A-Za-z0-9_.:-]{1,40}$/.test(name)) {
    throw new BadUserInputError(`invalid tag name ${quote(name)}: use 1–40 letters, digits, - _ . :`, { field });
  }
  return name;
}

export function checkTagValue(value: string, field: FieldPath): string {
  return checkText("tag value", value, MAX_TAG_VALUE_LENGTH, field);
}

/** For setStackTag and deleteStackTag: the built-in tags are createStack's alone. */
export function refuseBuiltInTag(name: string, field: FieldPath): void {
  if (BUILT_IN_TAGS.has(name)) {
    throw new BadUserInputError(`${quote(name)} is a built-in tag: it is set when the stack is created and cannot be changed`, { field });
  }
}
