import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/health/index.js';

describe('durations', () => {
  it('parse d, h, m, s in that order, and 0', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('4h')).toBe(14_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d12h')).toBe(216_000_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('0')).toBe(0);
    for (const bad of ['', '30', 'm', '30x', '30m4h', '1.5h', ' 30m', '-5m', '0.5h']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('format back to the shortest string', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1000))).toBe(seconds * 1000);
      }),
    );
  });
});
