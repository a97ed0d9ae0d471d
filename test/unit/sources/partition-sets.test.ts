import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  diffPartitions,
  isEmptyPartitions,
  normalizePartitions,
  toPartitionsByTopic,
  toTopicPartitions,
} from '../../../src/sources/kafka/partition-sets.js';

describe('partition sets', () => {
  it('groups pairs by topic, sorted and distinct', () => {
    expect(
      toPartitionsByTopic([
        { topic: 'b', partition: 2 },
        { topic: 'a', partition: 10 },
        { topic: 'b', partition: 0 },
        { topic: 'a', partition: 9 },
        { topic: 'b', partition: 2 },
      ]),
    ).toEqual({ a: [9, 10], b: [0, 2] });
  });

  it('drops topics without partitions (kafkajs lists every subscribed topic)', () => {
    expect(normalizePartitions({ events: [3, 1], links: [], other: undefined })).toEqual({ events: [1, 3] });
    expect(isEmptyPartitions(normalizePartitions({ links: [] }))).toBe(true);
    expect(isEmptyPartitions({ events: [0] })).toBe(false);
  });

  it('tells what an assignment change took away and what it gave', () => {
    expect(diffPartitions({ t: [0, 1, 2], u: [0] }, { t: [2, 3], v: [1] })).toEqual({
      lost: { t: [0, 1], u: [0] },
      gained: { t: [3], v: [1] },
    });
    expect(diffPartitions({}, { t: [0] })).toEqual({ lost: {}, gained: { t: [0] } });
    expect(diffPartitions({ t: [0] }, { t: [0] })).toEqual({ lost: {}, gained: {} });
  });

  it('applying the diff to the old assignment gives the new one', () => {
    const assignment = fc
      .array(fc.record({ topic: fc.constantFrom('a', 'b', 'c'), partition: fc.nat({ max: 7 }) }), { maxLength: 20 })
      .map(toPartitionsByTopic);
    fc.assert(
      fc.property(assignment, assignment, (before, after) => {
        const { lost, gained } = diffPartitions(before, after);
        const key = (tp: { topic: string; partition: number }) => `${tp.topic}:${tp.partition}`;
        const lostKeys = new Set(toTopicPartitions(lost).map(key));
        const kept = toTopicPartitions(before).filter((tp) => !lostKeys.has(key(tp)));
        expect(toPartitionsByTopic([...kept, ...toTopicPartitions(gained)])).toEqual(after);
      }),
    );
  });
});
