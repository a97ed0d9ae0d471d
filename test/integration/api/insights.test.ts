import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, installAuth } from '../../../src/api/index.js';
import { installErrorHandling } from '../../../src/api/http-error.js';
import { registerInsightRoutes } from '../../../src/api/routes/insights.js';
import type { HealthInsights } from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, type TestDatabase } from '../../helpers/clickhouse-test-db.js';
import {
  EXPECTED_CANCELLATIONS,
  EXPECTED_CASES_BY_RULE,
  EXPECTED_FRESHNESS,
  EXPECTED_MIN_LAG_MS,
  EXPECTED_OTD,
  EXPECTED_STRATEGY_CHANGES,
  EXPECTED_STUCK,
  READ_AT,
  migrateForHealth,
  seedHealthFixture,
} from '../../helpers/health-fixture.js';

const TOKENS = { agent: 'insights-agent', analyst: 'insights-analyst', admin: 'insights-admin' } as const;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * GET /insights/health on a real chDB database holding the health fixture, through the API's own
 * auth and error handling (the route is registered the way server.ts registers its routes, with
 * response validation from its schema).
 */
describe('GET /insights/health', () => {
  let db: TestDatabase;
  let app: FastifyInstance;
  let seededAt: number;

  beforeAll(async () => {
    db = await createTestDatabase('orderlake_insights');
    await migrateForHealth(db.client, db.database);
    seededAt = Date.now();
    await seedHealthFixture(db.client, db.database, seededAt);
    const logger = pino({ level: 'silent' });
    app = Fastify({ loggerInstance: logger as FastifyBaseLogger, ajv: { customOptions: { removeAdditional: false } } });
    installErrorHandling(app, logger);
    installAuth(app, createAuthenticator({ tokens: (Object.keys(TOKENS) as Array<keyof typeof TOKENS>).map((role) => ({ token: TOKENS[role], role, name: `${role}-user` })) }));
    registerInsightRoutes(app, { client: db.client, database: db.database, now: () => READ_AT });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await closeTestClient();
  });

  it('answers every health figure of the fixture', async () => {
    const res = await app.inject({ method: 'GET', url: '/insights/health', headers: bearer(TOKENS.agent) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as HealthInsights;
    expect(Object.keys(body)).toEqual(['generated_at', 'otd_days', 'otd', 'cases_by_rule', 'freshness', 'stuck', 'cancellations', 'strategy_changes']);
    expect(body.generated_at).toBe('2026-11-22T08:00:00.000Z');
    expect(body.otd_days).toBe(30);
    expect(body.otd).toEqual(EXPECTED_OTD);
    expect(body.cases_by_rule).toEqual(EXPECTED_CASES_BY_RULE);
    expect(body.freshness.map(({ lag_ms: _lag, ...f }) => f)).toEqual(EXPECTED_FRESHNESS);
    const crm = body.freshness.find((f) => f.source === 'crm')!;
    expect(crm.lag_ms).toBeGreaterThanOrEqual(EXPECTED_MIN_LAG_MS.crm! - 5);
    expect(crm.lag_ms).toBeLessThanOrEqual(EXPECTED_MIN_LAG_MS.crm! + (Date.now() - seededAt) + 5);
    expect(body.freshness.find((f) => f.source === 'tms')!.lag_ms).toBeNull();
    expect(body.stuck).toEqual(EXPECTED_STUCK);
    expect(body.cancellations).toEqual(EXPECTED_CANCELLATIONS);
    expect(body.strategy_changes).toEqual(EXPECTED_STRATEGY_CHANGES);
  });

  it('takes `days` for the on-time delivery window, and refuses anything else', async () => {
    const two = await app.inject({ method: 'GET', url: '/insights/health?days=2', headers: bearer(TOKENS.agent) });
    expect(two.statusCode).toBe(200);
    expect((two.json() as HealthInsights).otd).toEqual(EXPECTED_OTD.filter((r) => r.day === '2026-11-21'));
    expect((two.json() as HealthInsights).otd_days).toBe(2);

    for (const url of ['/insights/health?days=0', '/insights/health?days=367', '/insights/health?days=x', '/insights/health?channel=TMALL']) {
      const res = await app.inject({ method: 'GET', url, headers: bearer(TOKENS.agent) });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ error: 'OL_ERR_HTTP_BAD_REQUEST' });
    }
  });

  it('needs a token with the agent role (admin passes)', async () => {
    expect((await app.inject({ method: 'GET', url: '/insights/health' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/insights/health', headers: bearer('nope') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/insights/health', headers: bearer(TOKENS.analyst) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/insights/health', headers: bearer(TOKENS.admin) })).statusCode).toBe(200);
  });

  it('answers a database without the health views with a JSON error, not a crash', async () => {
    const bare = Fastify({ loggerInstance: pino({ level: 'silent' }) as FastifyBaseLogger });
    installErrorHandling(bare, pino({ level: 'silent' }));
    installAuth(bare, createAuthenticator({ tokens: [{ token: TOKENS.agent, role: 'agent', name: 'agent-user' }] }));
    registerInsightRoutes(bare, { client: db.client, database: `${db.database}_missing` });
    try {
      const res = await bare.inject({ method: 'GET', url: '/insights/health', headers: bearer(TOKENS.agent) });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_INTERNAL', message: 'internal error; see the server log' });
    } finally {
      await bare.close();
    }
  });
});
