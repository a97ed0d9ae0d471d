import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../../unit/api/support/sign-jwt.js';
import { JWT_SECRET, TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

const ORDER = 'SO-000001';
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('API access control', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const agentRoutes = [
    { method: 'GET' as const, url: `/orders/${ORDER}` },
    { method: 'GET' as const, url: `/orders/${ORDER}?include=provenance` },
    { method: 'GET' as const, url: '/orders?limit=2' },
    { method: 'GET' as const, url: `/orders/${ORDER}/timeline` },
  ];
  const sqlRoute = { method: 'POST' as const, url: '/sql', payload: { query: 'SELECT 1 AS one' } };
  const call = (route: { method: 'GET' | 'POST'; url: string; payload?: object }, headers: Record<string, string>) =>
    h.app.inject({ ...route, headers });

  it('answers 401 with a JSON body and a Bearer challenge without a token', async () => {
    for (const route of [...agentRoutes, sqlRoute]) {
      const res = await call(route, {});
      expect(res.statusCode, route.url).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="orderlake"');
      expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_UNAUTHORIZED', message: 'a bearer token is required (Authorization: Bearer <token>)' });
    }
  });

  it('answers 401 for unknown tokens and other schemes, before looking at the input', async () => {
    for (const authorization of ['Bearer wrong-token', 'Basic YWdlbnQ6cHc=', `Token ${TOKENS.agent}`, 'Bearer']) {
      const res = await call({ method: 'GET', url: '/orders?limit=9999' }, { authorization });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.json().error).toBe('OL_ERR_HTTP_UNAUTHORIZED');
    }
  });

  it('lets agents and admins look orders up, and answers 403 to the other roles', async () => {
    for (const route of agentRoutes) {
      for (const role of ['agent', 'admin'] as const) expect((await call(route, bearer(TOKENS[role]))).statusCode, `${role} ${route.url}`).toBe(200);
      for (const role of ['analyst', 'service'] as const) {
        const res = await call(route, bearer(TOKENS[role]));
        expect(res.statusCode, `${role} ${route.url}`).toBe(403);
        expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_FORBIDDEN', message: `requires role agent or admin; ${role}-user has role ${role}` });
      }
    }
  });

  it('lets analysts and admins run SQL, and answers 403 to the other roles', async () => {
    for (const role of ['analyst', 'admin'] as const) expect((await call(sqlRoute, bearer(TOKENS[role]))).statusCode, role).toBe(200);
    for (const role of ['agent', 'service'] as const) {
      const res = await call(sqlRoute, bearer(TOKENS[role]));
      expect(res.statusCode, role).toBe(403);
      expect(res.json().message).toBe(`requires role analyst or admin; ${role}-user has role ${role}`);
    }
  });

  describe('HS256 JWTs', () => {
    it('accept a role claim or a roles array', async () => {
      const agentJwt = signJwt({ sub: 'desk-7', role: 'agent', exp: nowSeconds() + 300 }, JWT_SECRET);
      expect((await call(agentRoutes[0]!, bearer(agentJwt))).statusCode).toBe(200);
      expect((await call(sqlRoute, bearer(agentJwt))).json().message).toBe('requires role analyst or admin; desk-7 has role agent');
      const both = signJwt({ roles: ['agent', 'analyst'], nbf: nowSeconds() - 10 }, JWT_SECRET);
      expect((await call(agentRoutes[2]!, bearer(both))).statusCode).toBe(200);
      expect((await call(sqlRoute, bearer(both))).statusCode).toBe(200);
    });

    it('answer 401 for a bad signature, an expired token, a future nbf, alg none and other algorithms', async () => {
      const cases: Array<[string, string]> = [
        [signJwt({ role: 'admin' }, 'not-the-secret'), 'the JWT signature does not verify'],
        [signJwt({ role: 'admin', exp: nowSeconds() - 1 }, JWT_SECRET), 'the JWT has expired'],
        [signJwt({ role: 'admin', nbf: nowSeconds() + 600 }, JWT_SECRET), 'the JWT is not valid yet (nbf)'],
        [signJwt({ role: 'admin' }, JWT_SECRET, { alg: 'none', typ: 'JWT' }), 'the JWT must be signed with HS256'],
        [signJwt({ role: 'admin' }, JWT_SECRET, { alg: 'HS512', typ: 'JWT' }), 'the JWT must be signed with HS256'],
        [`${signJwt({ role: 'admin' }, JWT_SECRET).split('.').slice(0, 2).join('.')}.`, 'the JWT signature does not verify'],
      ];
      for (const [token, message] of cases) {
        for (const route of [agentRoutes[0]!, sqlRoute]) {
          const res = await call(route, bearer(token));
          expect(res.statusCode, message).toBe(401);
          expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_UNAUTHORIZED', message });
        }
      }
    });

    it('answer 403 for a valid token that carries no known role', async () => {
      const res = await call(agentRoutes[0]!, bearer(signJwt({ sub: 'nobody', role: 'superuser' }, JWT_SECRET)));
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toBe('requires role agent or admin; nobody has no role');
    });
  });

  it('keeps health, readiness, metrics, the OpenAPI document, the docs and the console public', async () => {
    for (const url of ['/health', '/ready', '/metrics', '/openapi.json', '/docs', '/', '/console/console.js']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect([200, 302], url).toContain(res.statusCode);
    }
  });

  it('takes access_token from the query string only for WebSocket upgrades', async () => {
    const plain = await h.app.inject({ method: 'GET', url: `/health?access_token=${TOKENS.agent}` });
    expect(plain.statusCode).toBe(200);
    const viaQuery = await h.app.inject({ method: 'GET', url: `/orders/${ORDER}?access_token=${TOKENS.agent}` });
    expect(viaQuery.statusCode).toBe(401);
  });

  it('guards the WebSocket feed with the same tokens (header or access_token), before the upgrade', async () => {
    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `${address.replace('http', 'ws')}/ws`;
    const attempt = (target: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(target, { headers });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          res.resume();
        });
        socket.once('error', (err) => reject(err));
      });
    expect(await attempt(url)).toBe(401);
    expect(await attempt(`${url}?access_token=wrong`)).toBe(401);
    expect(await attempt(`${url}?access_token=${TOKENS.analyst}`)).toBe(403);
    expect(await attempt(`${url}?access_token=${TOKENS.agent}`)).toBe(101);
    expect(await attempt(url, bearer(TOKENS.service))).toBe(101);
  });
});
