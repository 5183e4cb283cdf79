import type { AccessTokenRow, OrganizationRow, UserRow } from "../db/rows.js";

/** A user, authenticated by one of their personal access tokens. */
export interface UserPrincipal {
  readonly kind: "USER";
  readonly user: UserRow;
  readonly token: AccessTokenRow;
}

/** An organization access token: acts only inside its organization. */
export interface OrganizationTokenPrincipal {
  readonly kind: "ORGANIZATION_TOKEN";
  readonly token: AccessTokenRow;
  readonly organization: OrganizationRow;
}

/** No token: may run introspection only. */
export interface AnonymousPrincipal {
  readonly kind: "ANONYMOUS";
}

/** The server itself, acting for an operator (admin CLI, first-start bootstrap, demo data). */
export interface SystemPrincipal {
  readonly kind: "SYSTEM";
  readonly label: string;
}

export type Principal = UserPrincipal | OrganizationTokenPrincipal | AnonymousPrincipal | SystemPrincipal;

/** Who is acting and from where: what every service call and audit event receives. */
export interface Caller {
  readonly principal: Principal;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

export const ANONYMOUS: AnonymousPrincipal = Object.freeze({ kind: "ANONYMOUS" });

export function systemCaller(label: string): Caller {
  return { principal: { kind: "SYSTEM", label }, sourceIp: null, userAgent: null, requestId: null };
}

/** The user acting, when the caller is a user. */
export function callerUser(caller: Caller): UserRow | null {
  return caller.principal.kind === "USER" ? caller.principal.user : null;
}
