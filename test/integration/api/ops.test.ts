import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../src/metrics.js';
import { TOKENS, bearer, startApiHarness, type ApiHarness } from './support/api-harness.js';

describe('operations, OpenAPI, docs and console files', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

  it('GET /health answers ok', async () => {
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready reports the injected readiness checks', async () => {
    const res = await get('/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ready: true, checks: { clickhouse: true, state_rebuilt: true, kafka_assigned: 'embedded mode' } });
  });

  it('GET /metrics serves the pipeline and HTTP metrics in Prometheus text format', async () => {
    await get('/orders/SO-000001', bearer(TOKENS.agent));
    await get('/orders/SO-NOPE', bearer(TOKENS.agent));
    const res = await get('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [METRIC_NAMES.eventsIn, METRIC_NAMES.viewChanges, METRIC_NAMES.ordersInMemory, METRIC_NAMES.httpRequests, METRIC_NAMES.httpRequestSeconds]) {
      expect(res.body).toContain(`# TYPE ${name}`);
    }
    expect(res.body).toMatch(/orderlake_events_in_total\{source="wms"\} [1-9]\d*/);
    expect(res.body).toMatch(/orderlake_orders_in_memory [1-9]\d*/);
    expect(res.body).toContain('orderlake_http_requests_total{route="/orders/:order_id",method="GET",status="200"} 1');
    expect(res.body).toContain('orderlake_http_requests_total{route="/orders/:order_id",method="GET",status="404"} 1');
  });

  it('serves an OpenAPI 3.1 document describing every route with its schemas and security', async () => {
    const res = await get('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      info: { title: string; version: string; description: string };
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown>; parameters?: Array<{ name: string; in: string }>; requestBody?: unknown }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('orderlake API');
    expect(doc.info.description).toContain('/ws');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operations = Object.entries(doc.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.sort()).toEqual(
      [
        'GET /health',
        'GET /metrics',
        'GET /orders',
        'GET /orders/{order_id}',
        'GET /orders/{order_id}/timeline',
        'GET /orders/{order_id}/cases',
        'GET /cases',
        'GET /cases/{case_id}',
        'POST /cases/{case_id}/actions',
        'GET /insights/health',
        'GET /ready',
        'GET /shipments/orphans',
        'POST /sql',
        'POST /admin/dead-letters/redrive',
        'GET /admin/sandbox',
        'POST /admin/sandbox',
        'GET /whoami',
      ].sort(),
    );
    for (const [p, op] of [
      ['/orders/{order_id}', 'get'],
      ['/orders', 'get'],
      ['/orders/{order_id}/timeline', 'get'],
      ['/sql', 'post'],
      ['/shipments/orphans', 'get'],
      ['/cases', 'get'],
      ['/cases/{case_id}', 'get'],
      ['/cases/{case_id}/actions', 'post'],
      ['/orders/{order_id}/cases', 'get'],
      ['/insights/health', 'get'],
    ] as const) {
      const operation = doc.paths[p]![op]!;
      expect(operation.security, p).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation.responses).sort(), p).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    }
    for (const [p, op] of [['/health', 'get'], ['/ready', 'get'], ['/metrics', 'get']] as const) {
      expect(doc.paths[p]![op]!.security, p).toBeUndefined();
      expect(doc.paths[p]![op]!.responses['200'], p).toBeDefined();
    }
    const search = doc.paths['/orders']!.get!;
    expect(search.parameters!.map((x) => x.name).sort()).toEqual(['channel', 'cursor', 'customer_id', 'exception', 'fulfillment_id', 'limit', 'phone', 'status', 'tracking_no']);
    expect(doc.paths['/sql']!.post!.requestBody).toBeDefined();
    const view = (doc.paths['/orders/{order_id}']!.get!.responses['200'] as { content: Record<string, { schema: { properties: Record<string, unknown> } }> }).content[
      'application/json'
    ]!.schema;
    expect(Object.keys(view.properties)).toEqual(expect.arrayContaining(['order_id', 'shipments', 'exceptions', 'sources', 'version', 'provenance']));
  });

  it('serves interactive docs at /docs', async () => {
    let res = await get('/docs');
    if (res.statusCode === 302) res = await get(String(res.headers.location).replace(/^\.\//, '/docs/'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/swagger/i);
  });

  describe('console files', () => {
    it('serves index.html at / and assets under /console/ with their content types', async () => {
      const cases: Array<[string, RegExp, string]> = [
        ['/', /^text\/html; charset=utf-8$/, '<title>orderlake console</title>'],
        ['/console/index.html', /^text\/html/, '<title>orderlake console</title>'],
        ['/console/console.js', /^text\/javascript/, 'export const ok'],
        ['/console/console.css', /^text\/css/, 'margin: 0'],
        ['/console/assets/logo.svg', /^image\/svg\+xml$/, '<svg'],
      ];
      for (const [url, type, content] of cases) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type'], url).toMatch(type);
        expect(res.body).toContain(content);
      }
    });

    it('refuses path traversal, symlinks out of the folder, folders and unknown types with a JSON 404', async () => {
      for (const url of [
        '/console/../secret.txt',
        '/console/%2e%2e/secret.txt',
        '/console/..%2fsecret.txt',
        '/console/assets/../../secret.txt',
        '/console/%2e%2e%2f%2e%2e%2fpackage.json',
        '/console/leak.txt',
        '/console/assets',
        '/console/',
        '/console/notes.bin',
        '/console/missing.js',
        '/console/%00index.html',
        '/console/..\\secret.txt',
      ]) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.body, url).not.toContain('top secret');
        expect(res.json().error, url).toBe('OL_ERR_HTTP_NOT_FOUND');
      }
    });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await get('/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'OL_ERR_HTTP_NOT_FOUND', message: 'no route GET /nope' });
  });
});
