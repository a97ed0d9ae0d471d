import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import {
  bareCredential,
  createAuthenticator,
  credentialsFrom,
  ensureDemoToken,
  hasRole,
  loadAuthConfig,
  parseTokenList,
  type AuthConfig,
} from '../../../src/api/auth/index.js';
import { signJwt } from './support/sign-jwt.js';

const NOW = Date.UTC(2026, 10, 27, 8, 0, 0);
const SECRET = 'jwt-secret-for-tests';
const config: AuthConfig = {
  tokens: [
    { token: 'agent-token', role: 'agent', name: 'desk-1' },
    { token: 'analyst-token', role: 'analyst', name: 'bi' },
  ],
  jwtSecret: SECRET,
};
const auth = createAuthenticator(config, { now: () => NOW });

describe('createAuthenticator', () => {
  it('accepts static tokens bare or as a Bearer header, any scheme case', async () => {
    expect(await auth.authenticate('agent-token')).toEqual({ name: 'desk-1', roles: ['agent'], via: 'token' });
    expect(await auth.authenticate('Bearer analyst-token')).toEqual({ name: 'bi', roles: ['analyst'], via: 'token' });
    expect((await auth.authenticate('bearer   agent-token '))?.name).toBe('desk-1');
  });

  it('refuses missing, unknown and other-scheme credentials, saying why', async () => {
    expect(await auth.check(undefined)).toEqual({ principal: null, failure: 'missing' });
    expect(await auth.check('  ')).toEqual({ principal: null, failure: 'missing' });
    expect(await auth.check('Bearer nope')).toEqual({ principal: null, failure: 'invalid' });
    expect(await auth.check('Basic YWdlbnQtdG9rZW4=')).toEqual({ principal: null, failure: 'invalid' });
    expect(await auth.check('Bearer agent-token extra')).toEqual({ principal: null, failure: 'invalid' });
  });

  it('takes the role from a JWT role claim or roles array, the name from sub', async () => {
    expect(await auth.authenticate(`Bearer ${signJwt({ sub: 'ops', role: 'service' }, SECRET)}`)).toEqual({ name: 'ops', roles: ['service'], via: 'jwt' });
    const both = await auth.authenticate(signJwt({ roles: ['agent', 'analyst', 'wizard'], role: 'agent' }, SECRET));
    expect(both).toEqual({ name: 'jwt', roles: ['agent', 'analyst'], via: 'jwt' });
    expect((await auth.authenticate(signJwt({ role: 'wizard' }, SECRET)))?.roles).toEqual([]);
  });

  it('reports JWT failures', async () => {
    expect((await auth.check(signJwt({ role: 'admin' }, 'wrong'))).failure).toBe('bad_signature');
    expect((await auth.check(signJwt({ role: 'admin', exp: NOW / 1000 - 1 }, SECRET))).failure).toBe('expired');
    expect((await auth.check(signJwt({ role: 'admin' }, SECRET, { alg: 'none' }))).failure).toBe('unsupported_alg');
    expect((await auth.check(signJwt({ role: 'admin' }, SECRET, { alg: 'HS512' }))).failure).toBe('unsupported_alg');
    expect((await auth.check(signJwt({ role: 'admin', nbf: NOW / 1000 + 1 }, SECRET))).failure).toBe('not_yet_valid');
    expect((await auth.check(`${Buffer.from('not json').toString('base64url')}.e30.c2ln`)).failure).toBe('malformed');
  });

  it('reads exp and nbf on the clock it is given', async () => {
    const token = signJwt({ role: 'agent', nbf: NOW / 1000, exp: NOW / 1000 + 60 }, SECRET);
    const at = (ms: number) => createAuthenticator(config, { now: () => ms });
    expect((await at(NOW - 1).check(token)).failure).toBe('not_yet_valid');
    expect((await at(NOW).check(token)).principal?.roles).toEqual(['agent']);
    expect((await at(NOW + 60_000).check(token)).failure).toBe('expired');
  });

  it('refuses an empty JWT secret when built', () => {
    expect(() => createAuthenticator({ tokens: [], jwtSecret: '' })).toThrow(/JWT secret must not be empty/);
  });

  it('does not verify JWTs when no secret is configured', async () => {
    const tokensOnly = createAuthenticator({ tokens: config.tokens }, { now: () => NOW });
    expect((await tokensOnly.check(signJwt({ role: 'admin' }, SECRET))).failure).toBe('invalid');
    expect(tokensOnly.configured).toBe(true);
    expect(createAuthenticator({ tokens: [] }).configured).toBe(false);
  });
});

describe('roles', () => {
  it('lets admins do everything and others only their roles', () => {
    expect(hasRole({ name: 'a', roles: ['admin'], via: 'token' }, ['analyst'])).toBe(true);
    expect(hasRole({ name: 'a', roles: ['agent'], via: 'token' }, ['agent', 'service'])).toBe(true);
    expect(hasRole({ name: 'a', roles: ['agent'], via: 'token' }, ['analyst'])).toBe(false);
    expect(hasRole({ name: 'a', roles: [], via: 'jwt' }, ['agent'])).toBe(false);
  });
});

describe('auth configuration', () => {
  it('parses token:role lists, tokens may contain colons', () => {
    expect(parseTokenList(['t1:agent', 'a:b:c:analyst'])).toEqual([
      { token: 't1', role: 'agent', name: 'env-token-1' },
      { token: 'a:b:c', role: 'analyst', name: 'env-token-2' },
    ]);
    expect(() => parseTokenList(['t1:wizard'])).toThrow(/ORDERLAKE_AUTH_TOKENS: entry 1 must be token:role/);
    expect(() => parseTokenList([':agent'])).toThrow(/entry 1/);
  });

  it('merges the file and the environment; the environment secret wins', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-auth-'));
    const file = path.join(dir, 'auth.json');
    await writeFile(file, JSON.stringify({ tokens: [{ token: 'f1', role: 'service', name: 'router' }, { token: 'f2', role: 'admin' }], jwtSecret: 'from-file' }));
    const loaded = await loadAuthConfig({ file, tokens: ['e1:agent'], jwtSecret: 'from-env' });
    expect(loaded).toEqual({
      tokens: [
        { token: 'f1', role: 'service', name: 'router' },
        { token: 'f2', role: 'admin', name: 'file-token-2' },
        { token: 'e1', role: 'agent', name: 'env-token-1' },
      ],
      jwtSecret: 'from-env',
    });
    expect((await loadAuthConfig({ file })).jwtSecret).toBe('from-file');
  });

  it('fails fast on a bad file, naming it and the path inside', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-auth-'));
    const file = path.join(dir, 'auth.json');
    await writeFile(file, JSON.stringify({ tokens: [{ token: 'x', role: 'root' }] }));
    await expect(loadAuthConfig({ file })).rejects.toThrow(/auth\.json: tokens\.0\.role/);
    await writeFile(file, '{ nope');
    await expect(loadAuthConfig({ file })).rejects.toThrow(/not JSON/);
    await expect(loadAuthConfig({ file: path.join(dir, 'missing.json') })).rejects.toThrow(/cannot read/);
    await expect(loadAuthConfig({ tokens: ['same:agent', 'same:admin'] })).rejects.toThrow(/configured twice/);
  });

  it('makes a random admin demo token only when nothing is configured', async () => {
    const made = ensureDemoToken({ tokens: [] }, (n) => Buffer.alloc(n, 7));
    expect(made.demoToken).toBe(Buffer.alloc(32, 7).toString('base64url'));
    expect(made.config.tokens).toEqual([{ token: made.demoToken, role: 'admin', name: 'local-demo' }]);
    expect((await createAuthenticator(made.config).authenticate(`Bearer ${made.demoToken}`))?.roles).toEqual(['admin']);
    expect(ensureDemoToken({ tokens: [], jwtSecret: 's' }).demoToken).toBeNull();
    expect(ensureDemoToken(config)).toEqual({ config, demoToken: null });
    expect(ensureDemoToken({ tokens: [] }).demoToken).not.toBe(ensureDemoToken({ tokens: [] }).demoToken);
  });

  it('bareCredential reads Bearer values and bare tokens only', () => {
    expect(bareCredential('Bearer abc')).toBe('abc');
    expect(bareCredential('abc')).toBe('abc');
    expect(bareCredential('Token abc')).toBeNull();
    expect(bareCredential('')).toBeNull();
  });
});

describe('credentialsFrom', () => {
  const request = (headers: Record<string, string>, query: Record<string, unknown> = {}) => ({ headers, query }) as unknown as FastifyRequest;

  it('reads the Authorization header first', () => {
    expect(credentialsFrom(request({ authorization: 'Bearer h' }, { access_token: 'q' }))).toBe('Bearer h');
  });

  it('reads access_token from the query only on a WebSocket upgrade', () => {
    expect(credentialsFrom(request({ upgrade: 'websocket' }, { access_token: 'q' }))).toBe('q');
    expect(credentialsFrom(request({ upgrade: 'WebSocket' }, { access_token: 'q' }))).toBe('q');
    expect(credentialsFrom(request({}, { access_token: 'q' }))).toBeUndefined();
    expect(credentialsFrom(request({ upgrade: 'websocket' }, { access_token: ['a', 'b'] }))).toBeUndefined();
    expect(credentialsFrom(request({ upgrade: 'websocket' }))).toBeUndefined();
  });
});
