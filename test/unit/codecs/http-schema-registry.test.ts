import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpSchemaRegistry } from '../../../src/codecs/index.js';
import type { HttpSchemaRegistryOptions } from '../../../src/codecs/index.js';
import { startRegistryTestDouble } from './registry-test-double.js';
import type { RegistryTestDouble } from './registry-test-double.js';

const SCHEMA = '{"type":"record","name":"A","fields":[{"name":"x","type":"string"}]}';
const noWait = { retries: 2, baseMs: 100, maxMs: 1000, sleep: async () => {} };

let double: RegistryTestDouble;

beforeEach(async () => {
  double = await startRegistryTestDouble();
});

afterEach(async () => {
  double.release();
  await double.close();
});

function client(extra: Partial<HttpSchemaRegistryOptions> = {}) {
  return createHttpSchemaRegistry({ url: `${double.url}/`, retry: noWait, ...extra });
}

async function untilRequests(count: number): Promise<void> {
  while (double.requests.length < count) await new Promise((resolve) => setImmediate(resolve));
}

describe('createHttpSchemaRegistry against a registry REST test double', () => {
  it('fetches a schema by id once and caches it forever', async () => {
    double.schemas.set(7, SCHEMA);
    const registry = client();
    expect(await registry.getSchemaById(7)).toBe(SCHEMA);
    expect(await registry.getSchemaById(7)).toBe(SCHEMA);
    expect(double.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /schemas/ids/7']);
    expect(double.requests[0]?.headers.accept).toContain('application/vnd.schemaregistry.v1+json');
  });

  it('shares one request among concurrent lookups of the same id', async () => {
    double.schemas.set(3, SCHEMA);
    const registry = client();
    double.hold();
    const lookups = Array.from({ length: 5 }, () => registry.getSchemaById(3));
    await untilRequests(1);
    double.release();
    expect(await Promise.all(lookups)).toEqual(Array(5).fill(SCHEMA));
    expect(double.requests).toHaveLength(1);
  });

  it('maps 404 / 40403 to OL_ERR_CODEC_UNKNOWN_SCHEMA_ID without retrying or caching', async () => {
    const registry = client();
    await expect(registry.getSchemaById(42)).rejects.toMatchObject({
      code: 'OL_ERR_CODEC_UNKNOWN_SCHEMA_ID',
      retriable: false,
      context: { schemaId: 42 },
    });
    expect(double.requests).toHaveLength(1);
    double.schemas.set(42, SCHEMA);
    expect(await registry.getSchemaById(42)).toBe(SCHEMA);
  });

  it('retries 5xx answers with backoff and succeeds when the registry recovers', async () => {
    double.schemas.set(1, SCHEMA);
    const waits: number[] = [];
    const warnings: unknown[] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args), debug: () => {} } as unknown as HttpSchemaRegistryOptions['logger'];
    const registry = createHttpSchemaRegistry({
      url: double.url,
      logger,
      retry: { ...noWait, random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
    });
    double.failNext(2, 503);
    expect(await registry.getSchemaById(1)).toBe(SCHEMA);
    expect(double.requests).toHaveLength(3);
    expect(waits).toEqual([50, 100]);
    expect(warnings).toHaveLength(2);
  });

  it('fails with the retriable OL_ERR_REGISTRY_UNAVAILABLE once retries are spent', async () => {
    const registry = client();
    double.failNext(10, 503);
    await expect(registry.getSchemaById(1)).rejects.toMatchObject({ code: 'OL_ERR_REGISTRY_UNAVAILABLE', retriable: true });
    expect(double.requests).toHaveLength(3);
  });

  it('treats an unreachable registry as unavailable', async () => {
    const gone = await startRegistryTestDouble();
    const url = gone.url;
    await gone.close();
    const registry = createHttpSchemaRegistry({ url, retry: { ...noWait, retries: 0 } });
    await expect(registry.getSchemaById(1)).rejects.toMatchObject({ code: 'OL_ERR_REGISTRY_UNAVAILABLE', retriable: true });
  });

  it('registers under the subject with the registry content type and is idempotent', async () => {
    const registry = client();
    const id = await registry.register('crm.public.orders-value', SCHEMA);
    expect(double.requests[0]).toMatchObject({ method: 'POST', url: '/subjects/crm.public.orders-value/versions' });
    expect(double.requests[0]?.headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(JSON.parse(double.requests[0]?.body ?? '')).toEqual({ schema: SCHEMA });
    expect(await registry.register('crm.public.orders-value', SCHEMA)).toBe(id);
    expect(await client().register('crm.public.orders-value', SCHEMA)).toBe(id);
    expect(await registry.getSchemaById(id)).toBe(SCHEMA);
    expect(double.requests.map((r) => r.method)).toEqual(['POST', 'POST']);
  });

  it('URL-encodes subjects', async () => {
    await client().register('odd topic/name-key', SCHEMA);
    expect(double.requests[0]?.url).toBe('/subjects/odd%20topic%2Fname-key/versions');
  });

  it('refuses an invalid schema with the non-retriable OL_ERR_REGISTRY_REJECTED', async () => {
    await expect(client().register('x-value', 42 as unknown as string)).rejects.toMatchObject({
      code: 'OL_ERR_REGISTRY_REJECTED',
      retriable: false,
      context: { subject: 'x-value', status: 422 },
    });
  });

  it('sends basic-auth credentials, and a 401 is rejected, not retried', async () => {
    double.schemas.set(5, SCHEMA);
    double.requireAuthorization(`Basic ${Buffer.from('key:secret').toString('base64')}`);
    expect(await client({ username: 'key', password: 'secret' }).getSchemaById(5)).toBe(SCHEMA);
    await expect(client({ username: 'key', password: 'wrong' }).getSchemaById(5)).rejects.toMatchObject({
      code: 'OL_ERR_REGISTRY_REJECTED',
      retriable: false,
    });
    expect(double.requests).toHaveLength(2);
  });

  it('uses an injected fetch', async () => {
    double.schemas.set(9, SCHEMA);
    const seen: string[] = [];
    const registry = client({
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    expect(await registry.getSchemaById(9)).toBe(SCHEMA);
    expect(seen).toEqual([`${double.url}/schemas/ids/9`]);
  });
});
