import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../src/errors.js';
import { contractLine, copyValue, pipelineNormalizer, positionOf, thrown } from '../test/unit/normalize/support/reference-deployment.js';

const TOPIC = 'crm.public.after_sales';
const normalizer = pipelineNormalizer('crm-after-sales.yaml');
// The six-order example has no after-sales case; the forty-order one has several.
const FILE = 'forty-orders-shuffled.jsonl';
const refunded = contractLine((l) => l.topic === TOPIC && (l.value?.['after'] as Record<string, unknown> | null)?.['status'] === 'REFUNDED', FILE);
const exchange = contractLine((l) => l.topic === TOPIC && (l.value?.['after'] as Record<string, unknown> | null)?.['case_type'] === 'EXCHANGE', FILE);

describe('pipelines/crm-after-sales.yaml', () => {
  it('reads a refunded return with its refund amount', () => {
    expect(normalizer.normalize(TOPIC, refunded.value, positionOf(refunded))).toEqual({
      kind: 'crm_case',
      source: 'crm',
      op: 'u',
      lsn: 1929,
      ts_ms: 1_795_189_739_386,
      order_id: 'SO-000005',
      case_id: 'AS-000005-1',
      image: {
        case_id: 'AS-000005-1',
        order_id: 'SO-000005',
        case_type: 'RETURN',
        status: 'REFUNDED',
        sku: 'SKU-TOY-RATTLE',
        quantity: 1,
        refund_amount: '25.50',
        replacement_sku: null,
        created_at: Date.parse('2026-11-20T01:18:36.000Z'),
        updated_at: Date.parse('2026-11-20T15:48:59.386Z'),
      },
    });
  });

  it('reads an exchange without refund amount, with its replacement', () => {
    const event = normalizer.normalize(TOPIC, exchange.value, positionOf(exchange));
    expect(event).toMatchObject({ kind: 'crm_case', image: { case_type: 'EXCHANGE', refund_amount: null } });
    expect(event?.kind === 'crm_case' && typeof event.image?.replacement_sku).toBe('string');
  });

  it('skips tombstones', () => {
    expect(normalizer.normalize(TOPIC, null, positionOf(refunded))).toBeNull();
  });

  it('dead-letters a case time without offset', () => {
    const value = copyValue(refunded);
    (value['after'] as Record<string, unknown>)['updated_at'] = '2026-11-20T15:48:59.386';
    const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(refunded)));
    expect(err).toBeInstanceOf(OrderlakeError);
    expect((err as OrderlakeError).code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
  });

  it('dead-letters a refund amount given as a number', () => {
    const value = copyValue(refunded);
    (value['after'] as Record<string, unknown>)['refund_amount'] = 25.5;
    const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(refunded)));
    expect((err as OrderlakeError).code).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });
});
