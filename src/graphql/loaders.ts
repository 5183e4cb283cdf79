// Per-request DataLoaders: a list of N parents costs one query per relation, not N. Each is
// created on first use, so a request that needs none (most small queries) builds none.
import type { OrganizationRow, UserRow } from "../db/rows.js";
import DataLoader from "dataloader";
import type { Caller } from "../auth/principal.js";
import type { StackTag } from "../modules/stack-tags/tag.type.js";
import type { GrantRow } from "../modules/teams/team.service.js";
import { usersWithVisibleEmail } from "../permissions/visibility.js";
import type { LoaderTypes, ResolverLoaders } from "../modules/resolver-context.js";
import type { GraphQLServices } from "./context.js";

/**
 * Batches page requests of many parents: those asking the same (size, from) — typically the
 * first page of every team of a list — are answered by one query.
 */
async function pagesOf<V>(
  keys: readonly string[],
  fetch: (parentIds: string[], size: number, from: readonly (string | number)[] | null) => Promise<Map<string, V[]>>,
): Promise<V[][]> {
  const groups = new Map<string, { size: number; from: readonly (string | number)[] | null; parents: string[] }>();
  const parsed = keys.map((key) => JSON.parse(key) as [string, number, (string | number)[] | null]);
  for (const [parentId, size, from] of parsed) {
    const group = JSON.stringify([size, from]);
    let entry = groups.get(group);
    if (!entry) groups.set(group, (entry = { size, from, parents: [] }));
    entry.parents.push(parentId);
  }
  const results = new Map<string, Map<string, V[]>>();
  for (const [group, { size, from, parents }] of groups) results.set(group, await fetch(parents, size, from));
  return parsed.map(([parentId, size, from]) => results.get(JSON.stringify([size, from]))!.get(parentId) ?? []);
}

function byKey<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): (V | undefined)[] {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => map.get(key));
}

type Batchers = { readonly [K in keyof LoaderTypes]: (ids: readonly string[]) => Promise<LoaderTypes[K][]> };

const batchers = (services: GraphQLServices, caller: Caller): Batchers => ({
  userById: async (ids: readonly string[]) => byKey(ids, await services.users.byIds(ids), (u: UserRow) => u.id),
  organizationById: async (ids: readonly string[]) => byKey(ids, await services.organizations.byIds(ids), (o: OrganizationRow) => o.id),
  tagsByStackId: async (ids: readonly string[]): Promise<StackTag[][]> => {
    const tags = await services.tags.byStackIds(ids);
    return ids.map((id) => tags.get(id) ?? []);
  },
  teamMembers: async (ids: readonly string[]): Promise<UserRow[][]> => {
    const members = await services.teamLists.membersOf(ids);
    return ids.map((id) => members.get(id) ?? []);
  },
  teamGrants: async (ids: readonly string[]): Promise<GrantRow[][]> => {
    const grants = await services.teamLists.grantsOf(ids);
    return ids.map((id) => grants.get(id) ?? []);
  },
  teamMemberPage: (keys: readonly string[]) =>
    pagesOf(keys, (teams, size, from) => services.teamLists.memberPages(teams, size, from ? String(from[0]) : null)),
  teamGrantPage: (keys: readonly string[]) =>
    pagesOf(keys, (teams, size, from) => services.teamLists.grantPages(teams, size, from ? [String(from[0]), String(from[1])] : null)),
  teamMemberCount: async (ids: readonly string[]) => {
    const counts = await services.teamLists.memberCounts(ids);
    return ids.map((id) => counts.get(id) ?? 0);
  },
  teamGrantCount: async (ids: readonly string[]) => {
    const counts = await services.teamLists.grantCounts(ids);
    return ids.map((id) => counts.get(id) ?? 0);
  },
  emailVisible: async (ids: readonly string[]) => {
    const visible = await usersWithVisibleEmail(services.store.db, services.store.tables, caller.principal, ids);
    return ids.map((id) => visible.has(id));
  },
});

/** The request's DataLoaders by name: nothing is built per request until a field asks for it. */
export class Loaders implements ResolverLoaders {
  private readonly made = new Map<keyof LoaderTypes, DataLoader<string, unknown>>();
  private fns: Batchers | null = null;

  constructor(
    private readonly services: GraphQLServices,
    private readonly caller: Caller,
  ) {}

  /** The request's loader `name`, made when first asked for. */
  of<K extends keyof LoaderTypes>(name: K): DataLoader<string, LoaderTypes[K]> {
    let loader = this.made.get(name);
    if (!loader) {
      this.fns ??= batchers(this.services, this.caller);
      loader = new DataLoader<string, unknown>(this.fns[name]);
      this.made.set(name, loader);
    }
    return loader as DataLoader<string, LoaderTypes[K]>;
  }

  clearAll(): void {
    for (const loader of this.made.values()) loader.clearAll();
  }
}

export function createLoaders(services: GraphQLServices, caller: Caller): Loaders {
  return new Loaders(services, caller);
}
