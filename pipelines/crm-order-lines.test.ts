import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../src/errors.js';
import { contractLine, copyValue, pipelineNormalizer, positionOf, thrown } from '../test/unit/normalize/support/reference-deployment.js';

const TOPIC = 'crm.public.order_lines';
const normalizer = pipelineNormalizer('crm-order-lines.yaml');
const first = contractLine((l) => l.topic === TOPIC);
const second = contractLine((l) => l.topic === TOPIC && (l.key as Record<string, unknown>)['line_no'] === 2);

describe('pipelines/crm-order-lines.yaml', () => {
  it('maps product_name to the canonical name', () => {
    expect(normalizer.normalize(TOPIC, first.value, positionOf(first))).toEqual({
      kind: 'crm_line',
      source: 'crm',
      op: 'c',
      lsn: 1049,
      ts_ms: 1_795_000_062_031,
      order_id: 'SO-000001',
      line_no: 1,
      image: {
        order_id: 'SO-000001',
        line_no: 1,
        sku: 'SKU-BOTTLE-240',
        name: '宽口径奶瓶 240ml',
        quantity: 2,
        unit_price: '89.00',
        updated_at: Date.parse('2026-11-18T11:07:42.030Z'),
      },
    });
  });

  it('reads a +08:00 and a Z timestamp of the same instant alike', () => {
    const a = normalizer.normalize(TOPIC, first.value, positionOf(first));
    const b = normalizer.normalize(TOPIC, second.value, positionOf(second));
    expect(a?.kind === 'crm_line' && a.image?.updated_at).toBe(Date.parse('2026-11-18T11:07:42.030Z'));
    expect(b?.kind === 'crm_line' && b.image?.updated_at).toBe(Date.parse('2026-11-18T11:07:42.000Z'));
  });

  it('turns a delete into an identity without image', () => {
    const value = copyValue(first);
    value['before'] = value['after'];
    value['after'] = null;
    value['op'] = 'd';
    expect(normalizer.normalize(TOPIC, value, positionOf(first))).toMatchObject({ op: 'd', order_id: 'SO-000001', line_no: 1, image: null });
  });

  it('dead-letters a unit price with one fraction digit', () => {
    const value = copyValue(first);
    (value['after'] as Record<string, unknown>)['unit_price'] = '89.0';
    const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(first)));
    expect(err).toBeInstanceOf(OrderlakeError);
    expect((err as OrderlakeError).code).toBe('OL_ERR_NORMALIZE_DECIMAL');
    expect((err as OrderlakeError).context).toEqual(positionOf(first));
  });
});
