// The product contract lives in ../shared/contract/. CI may run on a clone without it, so
// test/contract/ holds a committed copy; test/schema.test.ts fails when the two differ.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SHARED_CONTRACT_DIR = fileURLToPath(new URL("../../../shared/contract/", import.meta.url));
export const VENDORED_CONTRACT_DIR = fileURLToPath(new URL("../contract/", import.meta.url));

/** The shared contract when it is beside the repository, the vendored copy otherwise. */
export function contractFile(name: string): string {
  const shared = SHARED_CONTRACT_DIR + name;
  return existsSync(shared) ? shared : VENDORED_CONTRACT_DIR + name;
}
