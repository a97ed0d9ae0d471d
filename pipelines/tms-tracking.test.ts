import { describe, expect, it } from 'vitest';
import { OrderlakeError } from '../src/errors.js';
import { contractLine, copyValue, pipelineNormalizer, positionOf, thrown } from '../test/unit/normalize/support/reference-deployment.js';

const TOPIC = 'tms.tracking.events';
const normalizer = pipelineNormalizer('tms-tracking.yaml');
const inTransit = contractLine((l) => l.topic === TOPIC && l.value?.['event_code'] === 'IN_TRANSIT');
const delivered = contractLine((l) => l.topic === TOPIC && l.value?.['event_code'] === 'DELIVERED');

function errorOf(value: unknown): OrderlakeError {
  const err = thrown(() => normalizer.normalize(TOPIC, value, positionOf(inTransit)));
  expect(err).toBeInstanceOf(OrderlakeError);
  return err as OrderlakeError;
}

describe('pipelines/tms-tracking.yaml', () => {
  it('reads a tracking event that knows only its tracking number, with an eta', () => {
    expect(normalizer.normalize(TOPIC, inTransit.value, positionOf(inTransit))).toEqual({
      kind: 'tms',
      source: 'tms',
      event_id: 'TE-a2a11b7d-3ee2-4a36',
      tracking_no: 'STO7051938451',
      carrier: 'STO',
      fulfillment_ref: null,
      order_ref: null,
      event_code: 'IN_TRANSIT',
      occurred_at: 1_795_011_979_403,
      location: '南京市',
      eta: 1_795_230_480_376,
      exception_code: null,
    });
  });

  it('drops fields the canonical event does not carry (signed_by)', () => {
    const event = normalizer.normalize(TOPIC, delivered.value, positionOf(delivered));
    expect(event).toMatchObject({ event_code: 'DELIVERED', eta: null });
    expect(event).not.toHaveProperty('signed_by');
  });

  it('dead-letters a tombstone', () => {
    expect(errorOf(null).code).toBe('OL_ERR_NORMALIZE_TOMBSTONE');
  });

  it('dead-letters a tracking code the map does not know', () => {
    const value = copyValue(inTransit);
    value['event_code'] = 'LOST_IN_SPACE';
    const err = errorOf(value);
    expect(err.code).toBe('OL_ERR_NORMALIZE_MAPPING');
    expect(err.message).toContain('value "LOST_IN_SPACE" is not in map "tracking_codes"');
  });

  it('dead-letters an occurred_at that is not a whole number of ms', () => {
    const value = copyValue(inTransit);
    value['occurred_at'] = 1_795_011_979_403.25;
    expect(errorOf(value).code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
  });
});
