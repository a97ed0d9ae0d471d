import { describe, expect, it } from 'vitest';
import {
  createAvroDecoder,
  createAvroEncoder,
  createLocalSchemaRegistry,
  frameConfluent,
  parseAvroType,
} from '../../../src/codecs/index.js';
import type { SchemaRegistry } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';
import { READERS, contractSetup, countingRegistry, orderLineValue, rejection, wmsV1Value } from './helpers.js';

const WMS = 'wms.fulfillment.events';

async function setup(readers: Record<string, string> = READERS) {
  const { schemas, registry } = await contractSetup();
  const encoder = createAvroEncoder({ registry, schemas });
  const decoder = createAvroDecoder({ registry, schemas, readers });
  return { schemas, registry, encoder, decoder };
}

describe('createAvroDecoder', () => {
  it('reads WMS v1 bytes with the v2 reader: v1 fields kept, new fields defaulted', async () => {
    const { encoder, decoder } = await setup();
    const v1 = wmsV1Value();
    const decoded = await decoder.decode(WMS, await encoder.encode(WMS, 'wms.fulfillment.v1', v1));
    expect(decoded).toEqual({ ...v1, store_id: null, pickup_locker_id: null, label_address_hash: null });
  });

  it('reads WMS v2 bytes as they were written', async () => {
    const { encoder, decoder } = await setup();
    const v2 = { ...wmsV1Value({ event_type: 'REROUTED' }), store_id: 'ST-9', pickup_locker_id: null, label_address_hash: 'ab' };
    expect(await decoder.decode(WMS, await encoder.encode(WMS, 'wms.fulfillment.v2', v2))).toEqual(v2);
  });

  it('returns JSON-shaped data: unions unwrapped, enums strings, decimals canonical strings', async () => {
    const { encoder, decoder } = await setup();
    const value = orderLineValue('1234.50');
    const decoded = await decoder.decode('crm.public.order_lines', await encoder.encode('crm.public.order_lines', 'crm.public.order_lines', value));
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(value);
    expect((decoded as { after: { unit_price: unknown } }).after.unit_price).toBe('1234.50');
  });

  it('decodes synchronously once the writer id is known, with no further registry lookups', async () => {
    const { encoder, decoder, registry } = await setup();
    const bytes = await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value());
    expect(decoder.decodeKnown(WMS, bytes)).toBeUndefined();
    await decoder.decode(WMS, bytes);
    expect(registry.lookups).toEqual([5]);
    for (let i = 0; i < 3; i++) expect(decoder.decodeKnown(WMS, bytes)).toMatchObject({ event_type: 'PICKED', store_id: null });
    await decoder.decode(WMS, bytes);
    expect(registry.lookups).toEqual([5]);
  });

  it('looks a new writer id up once however many messages wait for it', async () => {
    const { encoder, decoder, registry } = await setup();
    const bytes = await encoder.encode(WMS, 'wms.fulfillment.v2', { ...wmsV1Value(), store_id: null, pickup_locker_id: null, label_address_hash: null });
    const decoded = await Promise.all(Array.from({ length: 20 }, () => decoder.decode(WMS, bytes)));
    expect(decoded).toHaveLength(20);
    expect(registry.lookups).toEqual([6]);
  });

  it('prepare() warms the cache for the hot path', async () => {
    const { encoder, decoder } = await setup();
    const bytes = await encoder.encode('tms.tracking.events', 'tms.tracking', {
      event_id: 'T-1',
      tracking_no: 'SF1',
      carrier_code: 'SF',
      fulfillment_ref: null,
      order_ref: null,
      event_code: 'IN_TRANSIT',
      occurred_at: 1_795_000_000_000,
      location: '上海',
      eta: null,
      exception_code: null,
      signed_by: null,
    });
    await decoder.prepare('tms.tracking.events', 4);
    expect(decoder.decodeKnown('tms.tracking.events', bytes)).toMatchObject({ event_code: 'IN_TRANSIT', location: '上海' });
  });

  it('an unknown writer id is OL_ERR_CODEC_UNKNOWN_SCHEMA_ID with the topic', async () => {
    const { decoder } = await setup();
    const err = await rejection(decoder.decode(WMS, frameConfluent(999, Buffer.from([0]))));
    expect(err.code).toBe('OL_ERR_CODEC_UNKNOWN_SCHEMA_ID');
    expect(err.retriable).toBe(false);
    expect(err.context).toMatchObject({ topic: WMS, schemaId: 999 });
  });

  it('trailing bytes after the body are OL_ERR_CODEC_DECODE', async () => {
    const { encoder, decoder } = await setup();
    const bytes = await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value());
    const err = await rejection(decoder.decode(WMS, Buffer.concat([bytes, Buffer.from([0x00])])));
    expect(err.code).toBe('OL_ERR_CODEC_DECODE');
    expect(err.message).toContain('1 trailing bytes');
    expect(err.context).toMatchObject({ topic: WMS, schemaId: 5 });
  });

  it('a body cut short is OL_ERR_CODEC_DECODE', async () => {
    const { encoder, decoder } = await setup();
    const bytes = await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value());
    const err = await rejection(decoder.decode(WMS, bytes.subarray(0, bytes.length - 3)));
    expect(err.code).toBe('OL_ERR_CODEC_DECODE');
    expect(err.context.topic).toBe(WMS);
  });

  it('garbage bytes are OL_ERR_CODEC_DECODE, never a crash', async () => {
    const { decoder } = await setup();
    const err = await rejection(decoder.decode(WMS, frameConfluent(6, Buffer.from('ffffffffffffffffff7f', 'hex'))));
    expect(err.code).toBe('OL_ERR_CODEC_DECODE');
  });

  it('frame errors carry the topic', async () => {
    const { decoder } = await setup();
    expect(await rejection(decoder.decode(WMS, Buffer.from([0, 0])))).toMatchObject({ code: 'OL_ERR_CODEC_TRUNCATED', context: { topic: WMS } });
    expect(() => decoder.decodeKnown(WMS, Buffer.from('0500000001', 'hex'))).toThrow(
      expect.objectContaining({ code: 'OL_ERR_CODEC_BAD_MAGIC', context: expect.objectContaining({ topic: WMS }) }),
    );
  });

  it('v2 bytes under a v1 reader, or TMS bytes on the WMS topic, are OL_ERR_CODEC_RESOLUTION (cached)', async () => {
    const { encoder, decoder, registry } = await setup({ ...READERS, [WMS]: 'wms.fulfillment.v1' });
    const v2 = await encoder.encode(WMS, 'wms.fulfillment.v2', { ...wmsV1Value(), store_id: null, pickup_locker_id: null, label_address_hash: null });
    const first = await rejection(decoder.decode(WMS, v2));
    expect(first.code).toBe('OL_ERR_CODEC_RESOLUTION');
    expect(first.context).toMatchObject({ topic: WMS, schemaId: 6 });
    expect(() => decoder.decodeKnown(WMS, v2)).toThrow(expect.objectContaining({ code: 'OL_ERR_CODEC_RESOLUTION' }));
    expect(registry.lookups).toEqual([6]);

    const tms = frameConfluent(4, Buffer.alloc(0));
    expect((await rejection(decoder.decode(WMS, tms))).code).toBe('OL_ERR_CODEC_RESOLUTION');
  });

  it('resolves an older CRM writer (decimals included) against the reader', async () => {
    const { schemas } = await contractSetup();
    const registry = countingRegistry(createLocalSchemaRegistry(schemas));
    const current = JSON.parse(schemas.get('crm.public.order_lines').schemaJson) as { fields: Array<{ name: string }> };
    const older = { ...current, fields: current.fields.filter((field) => field.name !== 'ts_ms') };
    const olderId = await registry.register('crm.public.order_lines-value', JSON.stringify(older));
    const value = orderLineValue('-3.10');
    const { ts_ms: _dropped, ...olderValue } = value;
    const bytes = frameConfluent(olderId, parseAvroType(older).toBuffer(olderValue));
    const decoder = createAvroDecoder({ registry, schemas, readers: READERS });
    expect(await decoder.decode('crm.public.order_lines', bytes)).toEqual({ ...olderValue, ts_ms: null });
  });

  it('reads a topic without a reader schema with its writer schema', async () => {
    const { schemas } = await contractSetup();
    const registry = createLocalSchemaRegistry(schemas);
    const encoder = createAvroEncoder({ registry, schemas });
    const decoder = createAvroDecoder({ registry, schemas, readers: {} });
    const v1 = wmsV1Value();
    expect(await decoder.decode('other.topic', await encoder.encode('other.topic', 'wms.fulfillment.v1', v1))).toEqual(v1);
  });

  it('refuses a reader schema that is not in the schema set', async () => {
    const { schemas, registry } = await contractSetup();
    expect(() => createAvroDecoder({ registry, schemas, readers: { t: 'no.such.schema' } })).toThrow(
      expect.objectContaining({ code: 'OL_ERR_CONFIG_INVALID' }),
    );
  });

  it('a registry failure stays retriable, carries the topic, and is not cached', async () => {
    const { schemas } = await contractSetup();
    const local = createLocalSchemaRegistry(schemas);
    let down = true;
    const flaky: SchemaRegistry = {
      getSchemaById: (id) => (down ? Promise.reject(new Error('socket hang up')) : local.getSchemaById(id)),
      register: (subject, json) => local.register(subject, json),
    };
    const encoder = createAvroEncoder({ registry: local, schemas });
    const decoder = createAvroDecoder({ registry: flaky, schemas, readers: READERS });
    const bytes = await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value());
    const err = await rejection(decoder.decode(WMS, bytes));
    expect(err).toMatchObject({ code: 'OL_ERR_REGISTRY_UNAVAILABLE', retriable: true, context: { topic: WMS, schemaId: 5 } });
    down = false;
    expect(await decoder.decode(WMS, bytes)).toMatchObject({ event_type: 'PICKED' });
  });
});
