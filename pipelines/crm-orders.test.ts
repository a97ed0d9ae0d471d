import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../src/errors.js';
import type { CrmOrderEvent } from '../src/normalize/index.js';
import { contractLine, copyValue, pipelineNormalizer, positionOf, thrown } from '../test/unit/normalize/support/reference-deployment.js';

const TOPIC = 'crm.public.orders';
const normalizer = pipelineNormalizer('crm-orders.yaml');
const created = contractLine((l) => l.topic === TOPIC && l.value?.['op'] === 'c');
const paid = contractLine((l) => l.topic === TOPIC && l.value?.['op'] === 'u');

const firstImage = {
  order_id: 'SO-000001',
  channel: 'WEB',
  customer_id: 'C-61465',
  customer_name: '刘洋',
  customer_phone: '13937447892',
  member_tier: 'V1',
  status: 'CREATED',
  currency: 'CNY',
  total_amount: '356.00',
  ship_name: '王芳',
  ship_phone: '13726601448',
  ship_province: '广东省',
  ship_city: '深圳市',
  ship_district: null,
  ship_line: '世纪大道路439号',
  ship_postcode: '200056',
  gift_order: true,
  buyer_note: '请放快递柜',
  promised_delivery_at: Date.parse('2026-11-20T14:07:42.030Z'), // 1795183662030000 µs
  created_at: Date.parse('2026-11-18T11:07:42.030Z'),
  paid_at: null,
  updated_at: Date.parse('2026-11-18T11:07:42.030Z'),
  row_version: 1,
};

function errorOf(value: unknown): OrderlakeError {
  const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(created)));
  expect(err).toBeInstanceOf(OrderlakeError);
  return err as OrderlakeError;
}

describe('pipelines/crm-orders.yaml', () => {
  it('turns the create of SO-000001 into a crm_order event with its after image', () => {
    expect(normalizer.normalize(TOPIC, created.value, positionOf(created))).toEqual({
      kind: 'crm_order',
      source: 'crm',
      op: 'c',
      lsn: 1046,
      ts_ms: 1_795_000_062_030,
      order_id: 'SO-000001',
      row_version: 1,
      image: firstImage,
    });
  });

  it('reads the payment update: Z timestamps without and with a fraction', () => {
    const event = normalizer.normalize(TOPIC, paid.value, positionOf(paid)) as CrmOrderEvent;
    expect(event).toMatchObject({ op: 'u', lsn: 1106, ts_ms: 1_795_000_091_087, order_id: 'SO-000001', row_version: 2 });
    expect(event.image).toEqual({
      ...firstImage,
      status: 'PAID',
      paid_at: Date.parse('2026-11-18T11:08:11.000Z'),
      updated_at: Date.parse('2026-11-18T11:08:11.087Z'),
      row_version: 2,
    });
  });

  it('skips the tombstone that follows a delete', () => {
    expect(normalizer.normalize(TOPIC, null, positionOf(created))).toBeNull();
  });

  it('dead-letters a malformed ZonedTimestamp', () => {
    const value = copyValue(created);
    (value['after'] as Record<string, unknown>)['created_at'] = '2026-11-18 19:07:42';
    const err = errorOf(value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
    expect(err.message).toContain('after.created_at');
  });

  it('dead-letters a total that is not canonical at scale 2', () => {
    const value = copyValue(created);
    (value['after'] as Record<string, unknown>)['total_amount'] = '356.0';
    expect(errorOf(value).code).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });

  it('dead-letters a change without source.lsn', () => {
    const value = copyValue(created);
    (value['source'] as Record<string, unknown>)['lsn'] = null;
    expect(errorOf(value).code).toBe('OL_ERR_NORMALIZE_MAPPING');
  });
});
