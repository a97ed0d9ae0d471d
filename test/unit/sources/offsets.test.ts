import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareOffsets, isOffset, nextOffset, offsetToNumber } from '../../../src/sources/kafka/offsets.js';

describe('Kafka offset arithmetic', () => {
  it('commits the offset after the last one handled', () => {
    expect(nextOffset('0')).toBe('1');
    expect(nextOffset('41')).toBe('42');
    expect(nextOffset('99999')).toBe('100000');
  });

  it('stays exact beyond 2^53, where numbers would round', () => {
    expect(nextOffset('9007199254740992')).toBe('9007199254740993');
    expect(nextOffset('9223372036854775806')).toBe('9223372036854775807');
  });

  it('refuses what is not an int64 offset', () => {
    for (const bad of ['', '-1', '01', '1.5', ' 1', 'abc', '9223372036854775808']) {
      expect(isOffset(bad), bad).toBe(false);
      expect(() => nextOffset(bad), bad).toThrow(RangeError);
    }
  });

  it('orders offsets numerically, not as strings', () => {
    expect(compareOffsets('9', '10')).toBe(-1);
    expect(compareOffsets('10', '9')).toBe(1);
    expect(compareOffsets('123', '123')).toBe(0);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 2n }), (n) => compareOffsets(n.toString(), nextOffset(n.toString())) === -1),
    );
  });

  it('converts to a number for node-rdkafka only while exact', () => {
    expect(offsetToNumber('1234')).toBe(1234);
    expect(offsetToNumber(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => offsetToNumber('9007199254740993')).toThrow(/exceeds 2\^53/);
  });
});
