/**
 * Who may do what. `agent`: order lookups, search, timeline and the live feed; `analyst`: read-only
 * SQL; `service`: the live feed (machine consumers); `admin`: everything.
 */
export const ROLES = ['agent', 'analyst', 'service', 'admin'] as const;

export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * What a role alone does not grant. `pii`: analyst SQL may read personal data (customer names,
 * phone numbers, addresses, raw payloads) in the base tables; without it, `POST /sql` serves the
 * masked views only. Agents see personal data through the order API by their role, as before.
 */
export const PERMISSIONS = ['pii'] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** An authenticated caller. A signed JWT without any known role is a principal with no roles (403, not 401). */
export interface Principal {
  /** Token name from the auth configuration, or the JWT `sub` claim; for logs, never secret. */
  name: string;
  roles: readonly Role[];
  /** Permissions beyond the roles; absent means none. */
  permissions?: readonly Permission[];
  via: 'token' | 'jwt';
}

/** True when the principal holds one of `allowed`, or is an admin (who may do everything). */
export function hasRole(principal: Principal, allowed: readonly Role[]): boolean {
  return principal.roles.includes('admin') || principal.roles.some((role) => allowed.includes(role));
}

/** True when the principal carries `permission`, or is an admin (who holds every permission). */
export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.roles.includes('admin') || (principal.permissions ?? []).includes(permission);
}
