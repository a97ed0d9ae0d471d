import { beforeAll, describe, expect, it } from 'vitest';
import { type CanonicalEvent, type Normalizer } from '../../../src/normalize/index.js';
import { positionOf, readReplayFile, referenceNormalizer } from './support/reference-deployment.js';

const KIND_OF_TOPIC: Record<string, CanonicalEvent['kind']> = {
  'crm.public.orders': 'crm_order',
  'crm.public.order_lines': 'crm_line',
  'crm.public.after_sales': 'crm_case',
  'wms.fulfillment.events': 'wms',
  'tms.tracking.events': 'tms',
};

const TIMESTAMP_FIELDS = new Set(['created_at', 'updated_at', 'paid_at', 'promised_delivery_at', 'occurred_at', 'eta', 'ts_ms']);

/** Every timestamp of an event or image is an integer count of ms or null. */
function timestampsOf(record: Record<string, unknown>): unknown[] {
  return Object.entries(record)
    .filter(([key]) => TIMESTAMP_FIELDS.has(key))
    .map(([, value]) => value);
}

let normalizer: Normalizer;

beforeAll(async () => {
  normalizer = await referenceNormalizer();
});

describe.each(['six-orders-in-order.jsonl', 'forty-orders-shuffled.jsonl', 'hundred-twenty-orders-shuffled.jsonl'])(
  'the contract example %s',
  (file) => {
    it('normalizes every line without error, tombstones to null', () => {
      const lines = readReplayFile(file);
      let events = 0;
      for (const line of lines) {
        const event = normalizer.normalize(line.topic, line.value, positionOf(line));
        if (line.value === null) {
          expect(event).toBeNull();
          continue;
        }
        events += 1;
        expect(event?.kind).toBe(KIND_OF_TOPIC[line.topic]);
        const record = event as unknown as Record<string, unknown>;
        const image = record['image'] as Record<string, unknown> | null | undefined;
        for (const ts of [...timestampsOf(record), ...(image ? timestampsOf(image) : [])]) {
          expect(ts === null || Number.isSafeInteger(ts)).toBe(true);
        }
        if (event?.source === 'crm') {
          expect(event.image === null).toBe(line.value['op'] === 'd');
          expect(event.lsn).toBe((line.value['source'] as Record<string, unknown>)['lsn']);
        }
      }
      expect(events).toBe(lines.filter((l) => l.value !== null).length);
      expect(events).toBeGreaterThan(0);
    });
  },
);
