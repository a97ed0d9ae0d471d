import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toPartitionBatches } from '../../../src/sources/kafka/partition-batches.js';

interface Polled {
  topic: string;
  partition: number;
  offset: number;
}

const describePolled = (r: Polled) => ({
  topic: r.topic,
  partition: r.partition,
  message: { offset: String(r.offset), timestamp: 0, key: null, value: null },
});

describe('splitting a poll into partition batches', () => {
  it('gives one batch per partition, in first-seen order, records in arrival order', () => {
    const polled: Polled[] = [
      { topic: 't', partition: 1, offset: 5 },
      { topic: 't', partition: 0, offset: 7 },
      { topic: 'u', partition: 1, offset: 1 },
      { topic: 't', partition: 1, offset: 6 },
      { topic: 't', partition: 0, offset: 8 },
    ];
    const batches = toPartitionBatches(polled, describePolled);
    expect(batches.map((b) => [b.topic, b.partition, b.messages.map((m) => m.offset)])).toEqual([
      ['t', 1, ['5', '6']],
      ['t', 0, ['7', '8']],
      ['u', 1, ['1']],
    ]);
  });

  it('gives nothing for an empty poll', () => {
    expect(toPartitionBatches([], describePolled)).toEqual([]);
  });

  it('keeps every record exactly once, each partition in its own order', () => {
    const polled = fc.array(fc.record({ topic: fc.constantFrom('a', 'b'), partition: fc.nat({ max: 3 }), offset: fc.nat() }), {
      maxLength: 60,
    });
    fc.assert(
      fc.property(polled, (records) => {
        const batches = toPartitionBatches(records, describePolled);
        expect(batches.reduce((n, b) => n + b.messages.length, 0)).toBe(records.length);
        for (const b of batches) {
          expect(b.messages.length).toBeGreaterThan(0);
          const expected = records.filter((r) => r.topic === b.topic && r.partition === b.partition).map((r) => String(r.offset));
          expect(b.messages.map((m) => m.offset)).toEqual(expected);
        }
        expect(new Set(batches.map((b) => `${b.topic}:${b.partition}`)).size).toBe(batches.length);
      }),
    );
  });
});
