import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { OrderlakeError } from '../../errors.js';
import { PERMISSIONS, ROLES, isPermission, isRole, type Permission, type Role } from './principal.js';

/** One static bearer token. */
export interface TokenEntry {
  token: string;
  role: Role;
  /** Permissions beyond the role (`pii`); absent means none. */
  permissions?: Permission[];
  /** Shown in logs instead of the token. */
  name: string;
}

/** Who may call the API: static tokens, and optionally a secret that signs HS256 JWTs. */
export interface AuthConfig {
  tokens: TokenEntry[];
  jwtSecret?: string;
}

const authFileSchema = z.strictObject({
  tokens: z
    .array(
      z.strictObject({
        token: z.string().min(1),
        role: z.enum(ROLES),
        permissions: z.array(z.enum(PERMISSIONS)).optional(),
        name: z.string().min(1).optional(),
      }),
    )
    .default([]),
  jwtSecret: z.string().min(1).optional(),
});

/**
 * Parses `ORDERLAKE_AUTH_TOKENS` entries (`token:role`, or `token:role+permission…` such as
 * `s3cret:analyst+pii`; the role follows the last colon, so a token may itself contain colons).
 */
export function parseTokenList(entries: readonly string[], variable = 'ORDERLAKE_AUTH_TOKENS'): TokenEntry[] {
  return entries.map((entry, i) => {
    const colon = entry.lastIndexOf(':');
    const token = colon > 0 ? entry.slice(0, colon) : '';
    const [role = '', ...permissions] = colon > 0 ? entry.slice(colon + 1).split('+') : [];
    if (token === '' || !isRole(role) || !permissions.every(isPermission)) {
      throw new OrderlakeError(
        'OL_ERR_CONFIG_INVALID',
        `${variable}: entry ${i + 1} must be token:role or token:role+permission with role one of ${ROLES.join(', ')} ` +
          `and permissions among ${PERMISSIONS.join(', ')}`,
      );
    }
    const granted = [...new Set(permissions as Permission[])];
    return { token, role, ...(granted.length > 0 ? { permissions: granted } : {}), name: `env-token-${i + 1}` };
  });
}

/**
 * Reads and validates an auth file (`{ tokens: [{ token, role, permissions?, name }], jwtSecret? }`,
 * `permissions` such as `["pii"]`); fails naming the file and the path inside it.
 */
export async function readAuthFile(file: string): Promise<AuthConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `ORDERLAKE_AUTH_FILE ${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `ORDERLAKE_AUTH_FILE ${file}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = authFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `ORDERLAKE_AUTH_FILE ${file}: ${problems}`);
  }
  return {
    tokens: parsed.data.tokens.map((t, i) => ({
      token: t.token,
      role: t.role,
      ...(t.permissions !== undefined && t.permissions.length > 0 ? { permissions: [...new Set(t.permissions)] } : {}),
      name: t.name ?? `file-token-${i + 1}`,
    })),
    ...(parsed.data.jwtSecret !== undefined ? { jwtSecret: parsed.data.jwtSecret } : {}),
  };
}

/**
 * The auth configuration from its three sources: the file's tokens plus the environment's, and
 * the JWT secret from the environment when set, else from the file. A token listed twice is a
 * configuration error (which role would it have?).
 */
export async function loadAuthConfig(sources: { file?: string; tokens?: readonly string[]; jwtSecret?: string }): Promise<AuthConfig> {
  const fromFile = sources.file !== undefined ? await readAuthFile(sources.file) : { tokens: [] };
  const tokens = [...fromFile.tokens, ...parseTokenList(sources.tokens ?? [])];
  const seen = new Set<string>();
  for (const entry of tokens) {
    if (seen.has(entry.token)) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `auth token "${entry.name}" is configured twice`);
    seen.add(entry.token);
  }
  const jwtSecret = sources.jwtSecret ?? fromFile.jwtSecret;
  return { tokens, ...(jwtSecret !== undefined ? { jwtSecret } : {}) };
}

/** Whether any way to authenticate is configured. */
export function hasCredentials(config: AuthConfig): boolean {
  return config.tokens.length > 0 || config.jwtSecret !== undefined;
}
