import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryServer, type RegistryServer } from '../../helpers/registry-server.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { randomName } from '../../helpers/kafka-topics.js';

/**
 * The test implementation of the Confluent REST API (test/helpers/registry-server.ts) answers the
 * calls orderlake makes with Confluent's shapes and error codes.
 */

const orderV1 = {
  type: 'record',
  name: 'Order',
  namespace: 'test',
  fields: [{ name: 'order_id', type: 'string' }],
};
const orderV2 = {
  ...orderV1,
  fields: [...orderV1.fields, { name: 'note', type: ['null', 'string'], default: null }],
};

async function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('test schema registry (Confluent REST API)', () => {
  let registry: RegistryServer;

  beforeAll(async () => {
    registry = await startRegistryServer();
  });

  afterAll(async () => {
    await registry.stop();
  });

  it('gives one id per distinct schema, across subjects and whitespace', async () => {
    const first = await call(registry.url, 'POST', '/subjects/orders-value/versions', { schema: JSON.stringify(orderV1) });
    expect(first).toEqual({ status: 200, body: { id: 1 } });
    const again = await call(registry.url, 'POST', '/subjects/orders-value/versions', {
      schema: JSON.stringify(orderV1, null, 2),
    });
    expect(again.body).toEqual({ id: 1 });
    const otherSubject = await call(registry.url, 'POST', '/subjects/copy-value/versions', { schema: JSON.stringify(orderV1) });
    expect(otherSubject.body).toEqual({ id: 1 });
    const second = await call(registry.url, 'POST', '/subjects/orders-value/versions', { schema: JSON.stringify(orderV2) });
    expect(second.body).toEqual({ id: 2 });

    expect((await call(registry.url, 'GET', '/subjects/orders-value/versions')).body).toEqual([1, 2]);
    const latest = await call(registry.url, 'GET', '/subjects/orders-value/versions/latest');
    expect(latest.body).toEqual({ subject: 'orders-value', version: 2, id: 2, schema: JSON.stringify(orderV2) });
    const v1 = await call(registry.url, 'GET', '/subjects/orders-value/versions/1');
    expect(v1.body).toMatchObject({ version: 1, id: 1 });
  });

  it('serves schemas by id and answers unknown ids with error 40403', async () => {
    const { id } = registry.register('lookup-value', orderV1);
    const found = await call(registry.url, 'GET', `/schemas/ids/${id}`);
    expect(found.status).toBe(200);
    expect(JSON.parse(found.body.schema as string)).toEqual(orderV1);

    const missing = await call(registry.url, 'GET', '/schemas/ids/9999');
    expect(missing).toEqual({ status: 404, body: { error_code: 40403, message: 'Schema not found' } });
  });

  it('answers unknown subjects, bad versions and invalid schemas with Confluent error codes', async () => {
    expect((await call(registry.url, 'GET', '/subjects/nope/versions/latest')).body.error_code).toBe(40401);
    registry.register('versions-value', orderV1);
    expect((await call(registry.url, 'GET', '/subjects/versions-value/versions/7')).body.error_code).toBe(40402);
    expect((await call(registry.url, 'GET', '/subjects/versions-value/versions/x')).body.error_code).toBe(42202);
    const invalid = await call(registry.url, 'POST', '/subjects/bad-value/versions', {
      schema: JSON.stringify({ type: 'record', name: 'Bad', fields: [{ name: 'x', type: 'no-such-type' }] }),
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error_code).toBe(42201);
  });

  it('looks up whether a schema is registered under a subject', async () => {
    const { id } = registry.register('check-value', orderV2);
    const hit = await call(registry.url, 'POST', '/subjects/check-value', { schema: JSON.stringify(orderV2) });
    expect(hit.body).toMatchObject({ subject: 'check-value', id, version: 1 });
    const miss = await call(registry.url, 'POST', '/subjects/check-value', { schema: JSON.stringify(orderV1) });
    expect(miss.body.error_code).toBe(40403);
  });

  it('fails the next requests on demand, then recovers, and records what it served', async () => {
    const { id } = registry.register('flaky-value', orderV1);
    const before = registry.requests.length;
    registry.failNext(2);
    expect((await call(registry.url, 'GET', `/schemas/ids/${id}`)).status).toBe(503);
    expect((await call(registry.url, 'GET', `/schemas/ids/${id}`)).status).toBe(503);
    expect((await call(registry.url, 'GET', `/schemas/ids/${id}`)).status).toBe(200);
    expect(registry.requests.slice(before).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('is provided to every test of the run by the global setup', async () => {
    const subject = randomName('provided-value');
    const registered = await call(schemaRegistryUrl(), 'POST', `/subjects/${subject}/versions`, {
      schema: JSON.stringify(orderV1),
    });
    expect(registered.status).toBe(200);
    const latest = await call(schemaRegistryUrl(), 'GET', `/subjects/${subject}/versions/latest`);
    expect(latest.body).toMatchObject({ subject, id: registered.body.id });
  });
});
