import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../src/errors.js';
import { contractLine, copyValue, pipelineNormalizer, positionOf, thrown } from '../test/unit/normalize/support/reference-deployment.js';

const TOPIC = 'wms.fulfillment.events';
const normalizer = pipelineNormalizer('wms-fulfillment.yaml');
const shipped = contractLine((l) => l.topic === TOPIC && l.value?.['event_type'] === 'SHIPPED');
const v1 = contractLine((l) => l.topic === TOPIC && l.schema === 'wms.fulfillment.v1');

function errorOf(value: unknown): OrderlakeError {
  const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(shipped)));
  expect(err).toBeInstanceOf(OrderlakeError);
  return err as OrderlakeError;
}

describe('pipelines/wms-fulfillment.yaml', () => {
  it('reads a version-2 SHIPPED event: order from external_order_no, carrier from carrier_code', () => {
    expect(normalizer.normalize(TOPIC, shipped.value, positionOf(shipped))).toEqual({
      kind: 'wms',
      source: 'wms',
      event_id: 'c64a2ea8-bc1e-4f69-898d-513f8d1e9c7f',
      event_type: 'SHIPPED',
      occurred_at: 1_795_002_872_655,
      warehouse_id: 'WH-HZ-02',
      fulfillment_id: 'FF-000002-1',
      order_id: 'SO-000002',
      carrier: 'STO',
      tracking_no: 'STO7051938451',
      reason: null,
      store_id: 'ST-045',
    });
  });

  it('reads a version-1 event, which has no store_id', () => {
    expect(normalizer.normalize(TOPIC, v1.value, positionOf(v1))).toEqual({
      kind: 'wms',
      source: 'wms',
      event_id: 'aa4e8d58-6b01-41aa-870d-a4e71581bee4',
      event_type: 'RELEASED',
      occurred_at: 1_795_001_971_457,
      warehouse_id: 'WH-SH-01',
      fulfillment_id: 'FF-000004-1',
      order_id: 'SO-000004',
      carrier: null,
      tracking_no: null,
      reason: null,
      store_id: null,
    });
  });

  it('dead-letters a tombstone: a WMS never deletes', () => {
    const err = errorOf(null);
    expect(err.code).toBe('OL_ERR_NORMALIZE_TOMBSTONE');
    expect(err.context).toEqual(positionOf(shipped));
  });

  it('dead-letters an event type the map does not know', () => {
    const value = copyValue(shipped);
    value['event_type'] = 'BEAMED_UP';
    const err = errorOf(value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('map "wms_event_types"');
  });

  it('dead-letters an event without order number', () => {
    const value = copyValue(shipped);
    delete value['external_order_no'];
    expect(errorOf(value).message).toContain('external_order_no (canonical order_id): is missing');
  });
});
