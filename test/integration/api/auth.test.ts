import path from 'node:path';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../../src/api/index.js';
import { loadConfig } from '../../../src/config.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { signJwt } from '../../unit/api/support/sign-jwt.js';
import { JWT_SECRET, TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

const ORDER = 'SO-000001';
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Routes anyone may call; every other registered route must refuse each bad credential below. */
const PUBLIC_ROUTES = [/^\/$/, /^\/health$/, /^\/ready$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs(\/.*)?$/, /^\/console\/\*$/];
const isPublic = (url: string) => PUBLIC_ROUTES.some((pattern) => pattern.test(url));
/** Routes every role may call (a credential is still required): who am I. */
const EVERY_ROLE = new Set(['/whoami']);

const MISSING = 'a bearer token is required (Authorization: Bearer <token>)';

interface BadCredential {
  name: string;
  /** The bare token; undefined: none sent. */
  token?: string;
  status: 401 | 403;
  message: string | RegExp;
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const [, adminPayload, adminSignature] = signJwt({ role: 'admin' }, JWT_SECRET).split('.') as [string, string, string];

/** Every refusal the API knows, each built to fail for exactly one reason (they all claim admin). */
const BAD_CREDENTIALS: BadCredential[] = [
  { name: 'no token', status: 401, message: MISSING },
  { name: 'an unknown static token', token: 'not-a-configured-token', status: 401, message: 'the bearer token is not valid' },
  { name: 'a malformed JWT', token: `${b64('{"alg":')}.${adminPayload}.${adminSignature}`, status: 401, message: 'the JWT is malformed' },
  { name: 'a wrongly signed JWT', token: signJwt({ sub: 'mallory', role: 'admin' }, 'not-the-secret'), status: 401, message: 'the JWT signature does not verify' },
  { name: 'a JWT without signature', token: `${b64('{"alg":"HS256","typ":"JWT"}')}.${adminPayload}.`, status: 401, message: 'the JWT signature does not verify' },
  { name: 'an expired JWT', token: signJwt({ role: 'admin', exp: nowSeconds() - 60 }, JWT_SECRET), status: 401, message: 'the JWT has expired' },
  { name: 'a not-yet-valid JWT', token: signJwt({ role: 'admin', nbf: nowSeconds() + 3600 }, JWT_SECRET), status: 401, message: 'the JWT is not valid yet (nbf)' },
  { name: 'an alg=none JWT', token: signJwt({ role: 'admin' }, JWT_SECRET, { alg: 'none', typ: 'JWT' }), status: 401, message: 'the JWT must be signed with HS256' },
  { name: 'an HS512 JWT', token: signJwt({ role: 'admin' }, JWT_SECRET, { alg: 'HS512', typ: 'JWT' }), status: 401, message: 'the JWT must be signed with HS256' },
  {
    name: 'a JWT with an unknown role',
    token: signJwt({ sub: 'nobody', role: 'superuser', exp: nowSeconds() + 3600 }, JWT_SECRET),
    status: 403,
    // Admin-only routes (dead-letter re-drive) name admin alone.
    message: /^requires role (\w+( or \w+)* or )?admin; nobody has no role$/,
  },
];

const NON_ADMIN_ROLES = ['agent', 'analyst', 'service'] as const;
/** JWTs of each non-admin role, to check wrong-role refusals on the JWT path as well as for static tokens. */
const ROLE_JWTS = Object.fromEntries(NON_ADMIN_ROLES.map((role) => [role, signJwt({ sub: `${role}-jwt`, role, exp: nowSeconds() + 3600 }, JWT_SECRET)])) as Record<
  (typeof NON_ADMIN_ROLES)[number],
  string
>;

/** Every credential a test here sends: none of them may ever reach a log line. */
const SECRETS = [...Object.values(TOKENS), ...Object.values(ROLE_JWTS), ...BAD_CREDENTIALS.flatMap((c) => (c.token !== undefined ? [c.token] : []))];

interface RegisteredRoute {
  method: HTTPMethods;
  /** As registered: `/orders/:order_id`, `/console/*`. */
  url: string;
}

/**
 * Every route the app registers, read from `printRoutes()`: its radix tree, one line per node,
 * four columns of indentation per level, methods in parentheses on the nodes that end a route. A
 * route's URL is its node keys joined from the root. (`commonPrefix: false` would print whole
 * segments but drops the prefix of wildcard routes, so the compressed tree is the reliable one.)
 */
function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const keys: string[] = [];
  const routes: RegisteredRoute[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const node = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z]+(?:, [A-Z]+)*)\))?$/.exec(line);
    if (node === null) continue;
    keys.length = node[1]!.length / 4;
    keys.push(node[2]!);
    for (const method of node[3]?.split(', ') ?? []) routes.push({ method: method as HTTPMethods, url: keys.join('') });
  }
  return routes;
}

/** A concrete URL for a registered route: every parameter an order id, a wildcard one file name. */
const concrete = (url: string) => url.replace(/:[A-Za-z_]+/g, ORDER).replace('*', 'file.txt');

describe('API access control', () => {
  let h: ApiHarness;
  let app: FastifyInstance;
  /** Everything the API logs (pino at trace), for the "tokens are never logged" check. */
  const logLines: string[] = [];

  beforeAll(async () => {
    h = await startApiHarness();
    // The harness's own app logs nowhere; this one is the same `createRuntimeApi` over the same
    // runtime and data (the harness keeps the lake in <dataDir>/lake), logging into memory.
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: h.dataDir }, REPO_ROOT);
    app = await createRuntimeApi(config, pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) }), h.runtime, {
      dataPath: path.join(h.dataDir, 'lake'),
      auth: createAuthenticator({
        tokens: (Object.keys(TOKENS) as Array<keyof typeof TOKENS>).map((role) => ({ token: TOKENS[role], role, name: `${role}-user` })),
        jwtSecret: JWT_SECRET,
      }),
      overrides: { consoleDir: h.consoleDir },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  const agentRoutes = [
    { method: 'GET' as const, url: `/orders/${ORDER}` },
    { method: 'GET' as const, url: `/orders/${ORDER}?include=provenance` },
    { method: 'GET' as const, url: '/orders?limit=2' },
    { method: 'GET' as const, url: `/orders/${ORDER}/timeline` },
  ];
  const sqlRoute = { method: 'POST' as const, url: '/sql', payload: { query: 'SELECT 1 AS one' } };
  const call = (route: { method: HTTPMethods; url: string; payload?: object }, headers: Record<string, string>) => app.inject({ ...route, headers });

  describe('every registered route', () => {
    let protectedRoutes: RegisteredRoute[];

    beforeAll(() => {
      const routes = registeredRoutes(app);
      protectedRoutes = routes.filter((route) => !isPublic(route.url));
    });

    it('is read completely from the router', () => {
      const routes = registeredRoutes(app);
      for (const route of routes) expect(app.hasRoute(route), `${route.method} ${route.url}`).toBe(true);
      const urls = new Set(routes.map((route) => route.url));
      for (const url of ['/health', '/console/*', '/docs/static/*', '/orders/:order_id/timeline', '/cases/:case_id/actions', '/sql', '/shipments/orphans', '/ws']) {
        expect(urls, url).toContain(url);
      }
      // Everything the OpenAPI document lists is among them.
      const documented = Object.keys((app.swagger() as { paths: Record<string, unknown> }).paths).map((p) => p.replace(/\{(\w+)\}/g, ':$1'));
      for (const url of documented) expect(urls, url).toContain(url);
    });

    it('refuses each bad credential with its 401 or 403, public routes excepted', async () => {
      const mismatches: string[] = [];
      for (const route of protectedRoutes) {
        for (const bad of BAD_CREDENTIALS) {
          const res = await app.inject({
            method: route.method,
            url: concrete(route.url),
            headers: bad.token !== undefined ? bearer(bad.token) : {},
            ...(route.method === 'POST' ? { payload: {} } : {}),
          });
          const where = `${route.method} ${route.url} with ${bad.name}`;
          if (res.statusCode !== bad.status) {
            mismatches.push(`${where}: ${res.statusCode} ${res.body.slice(0, 200)}`);
            continue;
          }
          if (bad.status === 401) {
            const challenge = bad.token === undefined ? 'Bearer realm="orderlake"' : 'Bearer realm="orderlake", error="invalid_token"';
            if (res.headers['www-authenticate'] !== challenge) mismatches.push(`${where}: www-authenticate ${String(res.headers['www-authenticate'])}`);
          }
          if (route.method === 'HEAD') continue;
          const body = res.json() as { error: string; message: string };
          expect(body.error, where).toBe(bad.status === 401 ? 'OL_ERR_HTTP_UNAUTHORIZED' : 'OL_ERR_HTTP_FORBIDDEN');
          if (typeof bad.message === 'string') expect(body.message, where).toBe(bad.message);
          else expect(body.message, where).toMatch(bad.message);
        }
      }
      expect(mismatches).toEqual([]);
    });

    it('answers 403 to a valid token of a role the route does not allow (static token and JWT), never to admin', async () => {
      const mismatches: string[] = [];
      for (const route of protectedRoutes) {
        const request = (token: string) =>
          app.inject({ method: route.method, url: concrete(route.url), headers: bearer(token), ...(route.method === 'POST' ? { payload: {} } : {}) });
        const refused: string[] = [];
        for (const role of NON_ADMIN_ROLES) {
          const [byToken, byJwt] = [await request(TOKENS[role]), await request(ROLE_JWTS[role])];
          if (byToken.statusCode === 401 || byJwt.statusCode === 401) mismatches.push(`${route.method} ${route.url}: 401 for a valid ${role} credential`);
          if ((byToken.statusCode === 403) !== (byJwt.statusCode === 403)) mismatches.push(`${route.method} ${route.url}: token and JWT of ${role} disagree`);
          if (byToken.statusCode !== 403) continue;
          refused.push(role);
          if (route.method === 'HEAD') continue;
          expect(byToken.json(), `${route.method} ${route.url} ${role}`).toEqual({
            error: 'OL_ERR_HTTP_FORBIDDEN',
            message: expect.stringMatching(new RegExp(`^requires role (\\w+( or \\w+)* or )?admin; ${role}-user has role ${role}$`)),
          });
          expect(byJwt.json().message, `${route.method} ${route.url} ${role} JWT`).toMatch(new RegExp(`; ${role}-jwt has role ${role}$`));
        }
        if (EVERY_ROLE.has(route.url)) {
          if (refused.length > 0) mismatches.push(`${route.method} ${route.url}: refuses ${refused.join(', ')}, yet every role may call it`);
        } else if (refused.length === 0) mismatches.push(`${route.method} ${route.url}: no role is refused`);
        const admin = await request(TOKENS.admin);
        if (admin.statusCode === 401 || admin.statusCode === 403) mismatches.push(`${route.method} ${route.url}: ${admin.statusCode} for admin`);
      }
      expect(mismatches).toEqual([]);
    });
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

  it('accepts HS256 JWTs with a role claim or a roles array', async () => {
    const agentJwt = signJwt({ sub: 'desk-7', role: 'agent', exp: nowSeconds() + 300 }, JWT_SECRET);
    SECRETS.push(agentJwt);
    expect((await call(agentRoutes[0]!, bearer(agentJwt))).statusCode).toBe(200);
    expect((await call(sqlRoute, bearer(agentJwt))).json().message).toBe('requires role analyst or admin; desk-7 has role agent');
    const both = signJwt({ roles: ['agent', 'analyst'], nbf: nowSeconds() - 10 }, JWT_SECRET);
    SECRETS.push(both);
    expect((await call(agentRoutes[2]!, bearer(both))).statusCode).toBe(200);
    expect((await call(sqlRoute, bearer(both))).statusCode).toBe(200);
  });

  it('keeps health, readiness, metrics, the OpenAPI document, the docs and the console public', async () => {
    for (const url of ['/health', '/ready', '/metrics', '/openapi.json', '/docs', '/', '/console/console.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect([200, 302], url).toContain(res.statusCode);
    }
  });

  it('takes access_token from the query string only for WebSocket upgrades', async () => {
    const plain = await app.inject({ method: 'GET', url: `/health?access_token=${TOKENS.agent}` });
    expect(plain.statusCode).toBe(200);
    const viaQuery = await app.inject({ method: 'GET', url: `/orders/${ORDER}?access_token=${TOKENS.agent}` });
    expect(viaQuery.statusCode).toBe(401);
  });

  describe('the WebSocket upgrade of /ws', () => {
    let url: string;
    /** 101 when the socket opened, else the HTTP status and JSON body of the refusal. */
    const attempt = (target: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body?: { error: string; message: string } }>((resolve, reject) => {
        const socket = new WebSocket(target, { headers });
        socket.once('open', () => {
          socket.close();
          resolve({ status: 101 });
        });
        socket.once('unexpected-response', (_req, res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        socket.once('error', (err) => reject(err));
      });

    beforeAll(async () => {
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      url = `${address.replace('http', 'ws')}/ws`;
    });

    it('refuses each bad credential before the upgrade, in the Authorization header and in ?access_token=', async () => {
      for (const bad of BAD_CREDENTIALS) {
        const ways = bad.token === undefined ? { none: attempt(url) } : { header: attempt(url, bearer(bad.token)), query: attempt(`${url}?access_token=${encodeURIComponent(bad.token)}`) };
        for (const [way, pending] of Object.entries(ways)) {
          const { status, body } = await pending;
          const where = `${bad.name} (${way})`;
          expect(status, where).toBe(bad.status);
          expect(body?.error, where).toBe(bad.status === 401 ? 'OL_ERR_HTTP_UNAUTHORIZED' : 'OL_ERR_HTTP_FORBIDDEN');
          if (typeof bad.message === 'string') expect(body?.message, where).toBe(bad.message);
          else expect(body?.message, where).toMatch(bad.message);
        }
      }
    });

    it('answers 403 to the analyst role and upgrades agents, services and admins (token or JWT, either way)', async () => {
      for (const [role, credential] of [
        ['analyst', TOKENS.analyst],
        ['analyst', ROLE_JWTS.analyst],
      ] as const) {
        for (const pending of [attempt(url, bearer(credential)), attempt(`${url}?access_token=${credential}`)]) {
          const { status, body } = await pending;
          expect(status).toBe(403);
          expect(body?.message).toMatch(new RegExp(`^requires role agent or service or admin; ${role}-(user|jwt) has role analyst$`));
        }
      }
      for (const credential of [TOKENS.agent, TOKENS.service, TOKENS.admin, ROLE_JWTS.agent, ROLE_JWTS.service]) {
        expect((await attempt(url, bearer(credential))).status).toBe(101);
        expect((await attempt(`${url}?access_token=${credential}`)).status).toBe(101);
      }
    });
  });

  // Runs last: by now every credential above has been sent, accepted or refused, over HTTP and WebSocket.
  it('never logs a token, a JWT or a JWT signature', async () => {
    expect((await call(agentRoutes[0]!, bearer(TOKENS.agent))).statusCode).toBe(200);
    await expect.poll(() => logLines.some((line) => line.includes('feed client disconnected'))).toBe(true);
    // The capture works: the feed logs who connected (by name and role), which must not be the credential.
    expect(logLines.some((line) => line.includes('feed client connected') && line.includes('agent-jwt'))).toBe(true);
    const signatures = SECRETS.map((secret) => secret.split('.')[2]).filter((s): s is string => s !== undefined && s.length > 0);
    const leaks = logLines.flatMap((line) => [...SECRETS, ...signatures].filter((secret) => line.includes(secret)).map((secret) => `${secret} in ${line}`));
    expect(leaks).toEqual([]);
  });
});
