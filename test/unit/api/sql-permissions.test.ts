import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, hasPermission, loadAuthConfig, parseTokenList } from '../../../src/api/auth/index.js';
import { signJwt } from './support/sign-jwt.js';

/** The `pii` permission that analyst SQL reads: how tokens carry it. */
const NOW = Date.UTC(2026, 10, 27, 8, 0, 0);
const SECRET = 'jwt-secret-for-permission-tests';

describe('pii permission', () => {
  it('comes with a static token as token:role+pii in ORDERLAKE_AUTH_TOKENS', () => {
    expect(parseTokenList(['a:b:analyst+pii', 'plain:analyst'])).toEqual([
      { token: 'a:b', role: 'analyst', permissions: ['pii'], name: 'env-token-1' },
      { token: 'plain', role: 'analyst', name: 'env-token-2' },
    ]);
    expect(() => parseTokenList(['t:analyst+everything'])).toThrow(/permissions among pii/);
    expect(() => parseTokenList(['t:analyst+'])).toThrow(/entry 1/);
  });

  it('comes with a static token from the auth file as permissions: ["pii"]', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-perm-'));
    const file = path.join(dir, 'auth.json');
    await writeFile(file, JSON.stringify({ tokens: [{ token: 'x', role: 'analyst', permissions: ['pii'], name: 'bi-pii' }, { token: 'y', role: 'analyst' }] }));
    const config = await loadAuthConfig({ file });
    expect(config.tokens).toEqual([
      { token: 'x', role: 'analyst', permissions: ['pii'], name: 'bi-pii' },
      { token: 'y', role: 'analyst', name: 'file-token-2' },
    ]);
    const auth = createAuthenticator(config);
    expect(await auth.authenticate('x')).toEqual({ name: 'bi-pii', roles: ['analyst'], permissions: ['pii'], via: 'token' });
    expect(hasPermission((await auth.authenticate('y'))!, 'pii')).toBe(false);
    await writeFile(file, JSON.stringify({ tokens: [{ token: 'x', role: 'analyst', permissions: ['root'] }] }));
    await expect(loadAuthConfig({ file })).rejects.toThrow(/tokens\.0\.permissions\.0/);
  });

  it('comes with a JWT as a permissions claim or an OAuth scope; unknown names are ignored', async () => {
    const auth = createAuthenticator({ tokens: [], jwtSecret: SECRET }, { now: () => NOW });
    const principal = async (claims: Record<string, unknown>) => (await auth.authenticate(signJwt({ sub: 'bi', role: 'analyst', ...claims }, SECRET)))!;
    expect((await principal({ permissions: ['pii'] })).permissions).toEqual(['pii']);
    expect((await principal({ scope: 'orders:read pii' })).permissions).toEqual(['pii']);
    expect(hasPermission(await principal({ permissions: ['pii'], scope: 'pii' }), 'pii')).toBe(true);
    for (const claims of [{}, { permissions: ['PII', 'admin'] }, { permissions: 'pii' }, { scope: 'piii' }, { scope: ['pii'] }]) {
      const p = await principal(claims);
      expect(p.permissions, JSON.stringify(claims)).toBeUndefined();
      expect(hasPermission(p, 'pii')).toBe(false);
    }
  });

  it('is held by admins, who may do everything', () => {
    expect(hasPermission({ name: 'root', roles: ['admin'], via: 'token' }, 'pii')).toBe(true);
    expect(hasPermission({ name: 'desk', roles: ['agent'], via: 'token' }, 'pii')).toBe(false);
  });
});
