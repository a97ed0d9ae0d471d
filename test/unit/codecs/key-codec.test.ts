import { describe, expect, it } from 'vitest';
import { createKeyCodec, createLocalSchemaRegistry, deriveKeySchema, frameConfluent, parseConfluentFrame } from '../../../src/codecs/index.js';
import { contractSetup, countingRegistry } from './helpers.js';

async function codec() {
  const { registry } = await contractSetup();
  return { registry, keys: createKeyCodec({ registry }) };
}

describe('Kafka keys', () => {
  it('string keys are their UTF-8 bytes', async () => {
    const { keys, registry } = await codec();
    const bytes = await keys.encodeKey('wms.fulfillment.events', 'FF-1001-1');
    expect(bytes.toString('utf8')).toBe('FF-1001-1');
    expect(await keys.decodeKey('wms.fulfillment.events', bytes)).toBe('FF-1001-1');
    expect(await keys.decodeKey('tms.tracking.events', Buffer.from('顺丰SF100', 'utf8'))).toBe('顺丰SF100');
    expect(registry.registrations).toEqual([]);
  });

  it('object keys are Confluent-framed Avro records registered under <topic>-key', async () => {
    const { keys, registry } = await codec();
    const bytes = await keys.encodeKey('crm.public.order_lines', { order_id: 'SO-1', line_no: 2 });
    expect(parseConfluentFrame(bytes).schemaId).toBe(7);
    expect(registry.registrations).toEqual(['crm.public.order_lines-key']);
    expect(await keys.decodeKey('crm.public.order_lines', bytes)).toEqual({ order_id: 'SO-1', line_no: 2 });
    await keys.encodeKey('crm.public.order_lines', { order_id: 'SO-2', line_no: 1 });
    expect(registry.registrations).toEqual(['crm.public.order_lines-key']);
  });

  it('another codec on the same registry decodes the key (schema fetched by id once)', async () => {
    const { registry } = await contractSetup();
    const bytes = await createKeyCodec({ registry }).encodeKey('crm.public.after_sales', { case_id: 'AS-9' });
    const reader = createKeyCodec({ registry: countingRegistry(registry) });
    expect(reader.decodeKeyKnown('crm.public.after_sales', bytes)).toBeUndefined();
    expect(await reader.decodeKey('crm.public.after_sales', bytes)).toEqual({ case_id: 'AS-9' });
    expect(reader.decodeKeyKnown('crm.public.after_sales', bytes)).toEqual({ case_id: 'AS-9' });
  });

  it('derives Debezium-like key schemas: strings, ints, longs, booleans', () => {
    expect(deriveKeySchema('crm.public.orders', { order_id: 'SO-1' })).toEqual({
      type: 'record',
      name: 'Key',
      namespace: 'crm.public.orders',
      fields: [{ name: 'order_id', type: 'string' }],
    });
    expect(deriveKeySchema('my-topic.2024', { a: 1, b: 2 ** 40, c: true }).fields).toEqual([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'long' },
      { name: 'c', type: 'boolean' },
    ]);
    expect(deriveKeySchema('my-topic.2024', { a: 1 }).namespace).toBe('my_topic._2024');
  });

  it('refuses keys it cannot describe', async () => {
    const { keys } = await codec();
    await expect(keys.encodeKey('t', { price: 1.5 })).rejects.toMatchObject({ code: 'OL_ERR_CODEC_ENCODE' });
    await expect(keys.encodeKey('t', {})).rejects.toMatchObject({ code: 'OL_ERR_CODEC_ENCODE' });
    await expect(keys.encodeKey('t', { 'bad-name': 'x' })).rejects.toMatchObject({ code: 'OL_ERR_CODEC_ENCODE' });
  });

  it('decodeKey never throws: unreadable keys come back as hex, missing keys as null', async () => {
    const { keys } = await codec();
    expect(await keys.decodeKey('t', null)).toBeNull();
    expect(await keys.decodeKey('t', undefined)).toBeNull();
    expect(await keys.decodeKey('t', Buffer.from('ff00fe', 'hex'))).toBe('ff00fe');
    const unknownId = frameConfluent(12345, Buffer.from('0a', 'hex'));
    expect(await keys.decodeKey('t', unknownId)).toBe(unknownId.toString('hex'));
    expect(keys.decodeKeyKnown('t', unknownId)).toBe(unknownId.toString('hex'));
    const valid = await keys.encodeKey('crm.public.orders', { order_id: 'SO-1' });
    const trailing = Buffer.concat([valid, Buffer.from([1])]);
    expect(await keys.decodeKey('crm.public.orders', trailing)).toBe(trailing.toString('hex'));
    const truncated = valid.subarray(0, valid.length - 1);
    expect(await keys.decodeKey('crm.public.orders', truncated)).toBe(truncated.toString('hex'));
  });

  it('reads an Avro string key written by a Confluent serializer as the string', async () => {
    const { schemas } = await contractSetup();
    const registry = createLocalSchemaRegistry(schemas);
    const id = await registry.register('tms.tracking.events-key', '"string"');
    const bytes = frameConfluent(id, Buffer.from([0x06, 0x53, 0x46, 0x31]));
    expect(await createKeyCodec({ registry }).decodeKey('tms.tracking.events', bytes)).toBe('SF1');
  });
});
