import { randomUUID } from "node:crypto";
import { nanoid } from "nanoid";

/** Id of a user, organization, team, stack, update or webhook: 21 URL-safe random characters. */
export const newId = (): string => nanoid();

/** Id of an access token: a UUID, as the contract says. */
export const newTokenId = (): string => randomUUID();
