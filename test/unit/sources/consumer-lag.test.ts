import { describe, expect, it } from 'vitest';
import { partitionLags } from '../../../src/sources/kafka/index.js';

const wm = (partition: number, low: string, high: string) => ({ topic: 't', partition, low, high });
const at = (partition: number, offset: string) => ({ topic: 't', partition, offset });

describe('partitionLags (high-water mark minus position)', () => {
  it('is the high-water mark minus the committed offset, per partition, in the watermarks’ order', () => {
    expect(partitionLags([wm(2, '0', '100'), wm(0, '0', '10')], [at(0, '7'), at(2, '100')], { fromBeginning: true })).toEqual([
      { topic: 't', partition: 2, lag: 0 },
      { topic: 't', partition: 0, lag: 3 },
    ]);
  });

  it('counts a partition with nothing committed (-1, or no entry) from the low-water mark when the group reads from the beginning', () => {
    // Retention has deleted offsets 0..39: they will never be read, so they are not lag.
    expect(partitionLags([wm(0, '40', '100'), wm(1, '0', '5')], [at(0, '-1')], { fromBeginning: true })).toEqual([
      { topic: 't', partition: 0, lag: 60 },
      { topic: 't', partition: 1, lag: 5 },
    ]);
  });

  it('counts nothing for a partition without a position when the group starts at the end', () => {
    expect(partitionLags([wm(0, '40', '100')], [at(0, '-1')], { fromBeginning: false })).toEqual([{ topic: 't', partition: 0, lag: 0 }]);
  });

  it('counts from the low-water mark when retention deleted records past the committed offset', () => {
    expect(partitionLags([wm(0, '50', '80')], [at(0, '10')], { fromBeginning: true })).toEqual([{ topic: 't', partition: 0, lag: 30 }]);
  });

  it('is never negative (a commit newer than the watermarks read)', () => {
    expect(partitionLags([wm(0, '0', '80')], [at(0, '85')], { fromBeginning: true })).toEqual([{ topic: 't', partition: 0, lag: 0 }]);
  });

  it('is exact past 2^53', () => {
    const high = (2n ** 60n + 5n).toString();
    const committed = (2n ** 60n).toString();
    expect(partitionLags([wm(0, '0', high)], [at(0, committed)], { fromBeginning: true })).toEqual([{ topic: 't', partition: 0, lag: 5 }]);
  });

  it('ignores positions of other topics and partitions', () => {
    expect(
      partitionLags([wm(0, '0', '10')], [{ topic: 'other', partition: 0, offset: '9' }, at(1, '9')], { fromBeginning: true }),
    ).toEqual([{ topic: 't', partition: 0, lag: 10 }]);
  });
});
