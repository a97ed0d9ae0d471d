import { describe, expect, it } from 'vitest';
import { createAvroEncoder, parseConfluentFrame } from '../../../src/codecs/index.js';
import type { SchemaRegistry } from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';
import { contractSetup, orderLineValue, rejection, wmsV1Value } from './helpers.js';

const WMS = 'wms.fulfillment.events';
const LINES = 'crm.public.order_lines';

describe('createAvroEncoder', () => {
  it('frames the body with the id registered under <topic>-value, registering once', async () => {
    const { schemas, registry } = await contractSetup();
    const encoder = createAvroEncoder({ registry, schemas });
    const first = await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value());
    await encoder.encode(WMS, 'wms.fulfillment.v1', wmsV1Value({ event_type: 'PACKED' }));
    await encoder.encode(WMS, 'wms.fulfillment.v2', { ...wmsV1Value(), store_id: null, pickup_locker_id: null, label_address_hash: null });
    const { schemaId, body } = parseConfluentFrame(first);
    expect(schemaId).toBe(5);
    expect(schemas.get('wms.fulfillment.v1').type.fromBuffer(body)).toEqual(wmsV1Value());
    expect(registry.registrations).toEqual([`${WMS}-value`, `${WMS}-value`]);
  });

  it('encodeKnown is undefined until the schema is registered for that topic, then synchronous', async () => {
    const { schemas, registry } = await contractSetup();
    const encoder = createAvroEncoder({ registry, schemas });
    expect(encoder.encodeKnown(WMS, 'wms.fulfillment.v1', wmsV1Value())).toBeUndefined();
    expect(await encoder.schemaIdFor(WMS, 'wms.fulfillment.v1')).toBe(5);
    const bytes = encoder.encodeKnown(WMS, 'wms.fulfillment.v1', wmsV1Value());
    expect(bytes && parseConfluentFrame(bytes).schemaId).toBe(5);
    expect(encoder.encodeKnown('another.topic', 'wms.fulfillment.v1', wmsV1Value())).toBeUndefined();
  });

  it.each([
    ['an enum symbol the writer lacks', wmsV1Value({ event_type: 'REROUTED' }), 'event_type', /expected one of RELEASED/],
    ['a field of the wrong type', wmsV1Value({ occurred_at: '2026-11-27T08:00:00Z' }), 'occurred_at', /expected long/],
    ['a float where a long goes', wmsV1Value({ occurred_at: 1.5 }), 'occurred_at', /expected long/],
    ['a missing required field', (({ warehouse_id: _omit, ...rest }) => rest)(wmsV1Value()), 'warehouse_id', /got undefined/],
    ['a field the schema does not declare', { ...wmsV1Value(), store_id: null }, '(root)', /undeclared: store_id/],
    [
      'a bad array item',
      wmsV1Value({ lines: [{ sku: 'A', qty_ordered: 1, qty_picked: 1 }, { sku: 'B', qty_ordered: 'two', qty_picked: 0 }] }),
      'lines.1.qty_ordered',
      /expected int/,
    ],
    ['a null record', null, '(root)', /got null/],
  ])('%s is OL_ERR_CODEC_ENCODE naming the path', async (_what, value, path, message) => {
    const { schemas, registry } = await contractSetup();
    const err = await rejection(createAvroEncoder({ registry, schemas }).encode(WMS, 'wms.fulfillment.v1', value));
    expect(err.code).toBe('OL_ERR_CODEC_ENCODE');
    expect(err.context).toMatchObject({ topic: WMS, schema: 'wms.fulfillment.v1', path });
    expect(err.message).toMatch(message);
  });

  it.each(['89.0', '089.00', '8.9e1', 89])('a non-canonical decimal %j is OL_ERR_NORMALIZE_DECIMAL naming the path', async (price) => {
    const { schemas, registry } = await contractSetup();
    const err = await rejection(createAvroEncoder({ registry, schemas }).encode(LINES, LINES, orderLineValue(price as string)));
    expect(err.code).toBe('OL_ERR_NORMALIZE_DECIMAL');
    expect(err.context).toMatchObject({ topic: LINES, path: 'after.unit_price' });
  });

  it('a nullable decimal with a bad value is a decimal error too', async () => {
    const { schemas, registry } = await contractSetup();
    const value = {
      before: null,
      after: {
        case_id: 'AS-1',
        order_id: 'SO-1',
        case_type: 'RETURN',
        status: 'REFUNDED',
        sku: 'SKU-1',
        quantity: 1,
        refund_amount: '10.5',
        replacement_sku: null,
        reason: null,
        created_at: '2026-11-20T10:00:00Z',
        updated_at: '2026-11-20T10:00:00Z',
      },
      source: { ...(orderLineValue().source as object), table: 'after_sales' },
      op: 'c',
      ts_ms: null,
    };
    const encoder = createAvroEncoder({ registry, schemas });
    const err = await rejection(encoder.encode('crm.public.after_sales', 'crm.public.after_sales', value));
    expect(err).toMatchObject({ code: 'OL_ERR_NORMALIZE_DECIMAL', context: { path: 'after.refund_amount' } });
    const fixed = { ...value, after: { ...value.after, refund_amount: '10.50' } };
    expect((await encoder.encode('crm.public.after_sales', 'crm.public.after_sales', fixed)).length).toBeGreaterThan(5);
  });

  it('an unknown writer schema name is OL_ERR_CODEC_ENCODE and registers nothing', async () => {
    const { schemas, registry } = await contractSetup();
    const err = await rejection(createAvroEncoder({ registry, schemas }).encode(WMS, 'wms.fulfillment.v3', wmsV1Value()));
    expect(err).toMatchObject({ code: 'OL_ERR_CODEC_ENCODE', context: { topic: WMS, schema: 'wms.fulfillment.v3' } });
    expect(registry.registrations).toEqual([]);
  });

  it('a registry failure surfaces with its own code and the topic', async () => {
    const { schemas } = await contractSetup();
    const failing: SchemaRegistry = {
      getSchemaById: () => Promise.reject(new Error('unused')),
      register: () => Promise.reject(new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', 'down')),
    };
    const err = await rejection(createAvroEncoder({ registry: failing, schemas }).encode(WMS, 'wms.fulfillment.v1', wmsV1Value()));
    expect(err).toMatchObject({ code: 'OL_ERR_REGISTRY_UNAVAILABLE', retriable: true, context: { topic: WMS } });
  });
});
