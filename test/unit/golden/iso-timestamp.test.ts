import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestamp } from '../../../src/golden/iso-timestamp.js';

describe('isoTimestamp', () => {
  it('renders like Date#toISOString', () => {
    expect(isoTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTimestamp(Date.UTC(2026, 10, 27, 8, 0, 0, 7))).toBe('2026-11-27T08:00:00.007Z');
    expect(isoTimestamp(-1)).toBe('1969-12-31T23:59:59.999Z');
  });

  it('agrees with Date#toISOString on any representable instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
