// Per-request DataLoaders: a list of N parents costs one query per relation, not N.
import DataLoader from "dataloader";
import type { Caller, OrganizationRow, UserRow } from "../auth/principal.js";
import type { StackTag } from "../modules/stack-tags/tag.type.js";
import type { GrantRow } from "../modules/teams/team.service.js";
import { usersWithVisibleEmail } from "../permissions/visibility.js";
import type { Services } from "../services.js";

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | undefined)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

export function createLoaders(services: Services, caller: Caller) {
  return {
    userById: new DataLoader<string, UserRow | undefined>(async (ids) =>
      byKey(ids, services.users.byIds(ids), (u) => u.id),
    ),
    organizationById: new DataLoader<string, OrganizationRow | undefined>(async (ids) =>
      byKey(ids, services.organizations.byIds(ids), (o) => o.id),
    ),
    tagsByStackId: new DataLoader<string, StackTag[]>(async (ids) => {
      const tags = services.tags.byStackIds(ids);
      return ids.map((id) => tags.get(id) ?? []);
    }),
    teamMembers: new DataLoader<string, UserRow[]>(async (ids) => {
      const members = services.teams.membersOf(ids);
      return ids.map((id) => members.get(id) ?? []);
    }),
    teamGrants: new DataLoader<string, GrantRow[]>(async (ids) => {
      const grants = services.teams.grantsOf(ids);
      return ids.map((id) => grants.get(id) ?? []);
    }),
    emailVisible: new DataLoader<string, boolean>(async (ids) => {
      const visible = usersWithVisibleEmail(services.db, caller.principal, ids);
      return ids.map((id) => visible.has(id));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
