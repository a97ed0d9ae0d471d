/**
 * Who may do what. `agent`: order lookups, search, timeline and the live feed; `analyst`: read-only
 * SQL; `service`: the live feed (machine consumers); `admin`: everything.
 */
export const ROLES = ['agent', 'analyst', 'service', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** An authenticated caller. A signed JWT without any known role is a principal with no roles (403, not 401). */
export interface Principal {
  /** Token name from the auth configuration, or the JWT `sub` claim; for logs, never secret. */
  name: string;
  roles: readonly Role[];
  via: 'token' | 'jwt';
}

/** True when the principal holds one of `allowed`, or is an admin (who may do everything). */
export function hasRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.includes('admin') || principal.roles.some((role) => allowed.includes(role));
}
