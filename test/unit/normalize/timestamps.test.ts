import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { microsToMillis, parseZonedTimestamp } from '../../../src/normalize/index.js';

/** Instants whose local time at any offset still has a four-digit year. */
const EARLIEST = Date.parse('0001-01-02T00:00:00Z');
const LATEST = Date.parse('9999-12-30T00:00:00Z');

describe('parseZonedTimestamp', () => {
  it('reads the forms the reference CRM writes', () => {
    expect(parseZonedTimestamp('2026-11-18T19:07:42.030+08:00')).toBe(Date.UTC(2026, 10, 18, 11, 7, 42, 30));
    expect(parseZonedTimestamp('2026-11-18T11:08:11.087Z')).toBe(Date.UTC(2026, 10, 18, 11, 8, 11, 87));
    expect(parseZonedTimestamp('2026-11-18T11:07:42Z')).toBe(Date.UTC(2026, 10, 18, 11, 7, 42, 0));
  });

  it('truncates nanoseconds to milliseconds, never rounding up', () => {
    expect(parseZonedTimestamp('2026-11-18T19:07:42.030123456+08:00')).toBe(Date.UTC(2026, 10, 18, 11, 7, 42, 30));
    expect(parseZonedTimestamp('2026-11-18T19:07:42.999999999+08:00')).toBe(Date.UTC(2026, 10, 18, 11, 7, 42, 999));
    expect(parseZonedTimestamp('1969-12-31T23:59:59.9999Z')).toBe(-1);
  });

  it('scales one and two fraction digits to milliseconds', () => {
    expect(parseZonedTimestamp('2026-01-01T00:00:00.5Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 500));
    expect(parseZonedTimestamp('2026-01-01T00:00:00.05Z')).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 50));
  });

  it('applies negative offsets and offsets that cross midnight and year boundaries', () => {
    expect(parseZonedTimestamp('2026-12-31T20:30:00-05:30')).toBe(Date.UTC(2027, 0, 1, 2, 0, 0, 0));
    expect(parseZonedTimestamp('2026-01-01T01:00:00+02:00')).toBe(Date.UTC(2025, 11, 31, 23, 0, 0, 0));
    expect(parseZonedTimestamp('2026-06-01T00:00:00-00:00')).toBe(Date.UTC(2026, 5, 1));
  });

  it('knows leap years', () => {
    expect(parseZonedTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseZonedTimestamp('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseZonedTimestamp('1900-02-29T00:00:00Z')).toBeNaN();
    expect(parseZonedTimestamp('2026-02-29T00:00:00Z')).toBeNaN();
  });

  it.each([
    ['no offset', '2026-11-18T19:07:42.030'],
    ['month 13', '2026-13-18T19:07:42Z'],
    ['month 0', '2026-00-18T19:07:42Z'],
    ['day 31 of a 30-day month', '2026-11-31T19:07:42Z'],
    ['hour 24', '2026-11-18T24:00:00Z'],
    ['minute 60', '2026-11-18T19:60:00Z'],
    ['leap second', '2026-12-31T23:59:60Z'],
    ['trailing junk after Z', '2026-11-18T19:07:42Zjunk'],
    ['trailing junk after the offset', '2026-11-18T19:07:42+08:00 '],
    ['ten fraction digits', '2026-11-18T19:07:42.0301234567Z'],
    ['a dot without digits', '2026-11-18T19:07:42.Z'],
    ['a space instead of T', '2026-11-18 19:07:42Z'],
    ['an offset without colon', '2026-11-18T19:07:42+0800'],
    ['an hour-only offset', '2026-11-18T19:07:42+08'],
    ['offset minutes 60', '2026-11-18T19:07:42+08:60'],
    ['lower-case z', '2026-11-18T19:07:42z'],
    ['no seconds', '2026-11-18T19:07Z'],
    ['a date only', '2026-11-18'],
    ['an empty string', ''],
    ['a five-digit year', '+12026-11-18T19:07:42Z'],
    ['letters in the date', '2026-1a-18T19:07:42Z'],
  ])('refuses %s', (_label, text) => {
    expect(parseZonedTimestamp(text)).toBeNaN();
  });

  it('agrees with Date.parse on millisecond ISO strings with any offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: EARLIEST, max: LATEST }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (instant, offsetMinutes) => {
          const text = formatZoned(instant, 0, 3, offsetMinutes);
          expect(parseZonedTimestamp(text)).toBe(Date.parse(text));
        },
      ),
    );
  });

  it('parses an instant formatted with any offset and 0 to 9 fraction digits back to it, truncated to ms', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: EARLIEST, max: LATEST }),
        fc.integer({ min: 0, max: 999_999 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (instantMs, subMillisNanos, fractionDigits, offsetMinutes) => {
          const text = formatZoned(instantMs, subMillisNanos, fractionDigits, offsetMinutes);
          const millisOfSecond = ((instantMs % 1000) + 1000) % 1000;
          const kept = fractionDigits >= 3 ? millisOfSecond : Math.floor(millisOfSecond / 10 ** (3 - fractionDigits)) * 10 ** (3 - fractionDigits);
          expect(parseZonedTimestamp(text)).toBe(instantMs - millisOfSecond + kept);
        },
      ),
    );
  });
});

/** ISO-8601 text of `instantMs` (+ sub-millisecond nanos) as seen at `offsetMinutes`, with `fractionDigits` digits. */
function formatZoned(instantMs: number, subMillisNanos: number, fractionDigits: number, offsetMinutes: number): string {
  const local = new Date(instantMs + offsetMinutes * 60_000).toISOString();
  const fraction = `${local.slice(20, 23)}${String(subMillisNanos).padStart(6, '0')}`.slice(0, fractionDigits);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const zone = offsetMinutes === 0 && fractionDigits % 2 === 0 ? 'Z' : offset;
  return `${local.slice(0, 19)}${fractionDigits > 0 ? `.${fraction}` : ''}${zone}`;
}

describe('microsToMillis', () => {
  it('floors positive microseconds', () => {
    expect(microsToMillis(1_795_183_662_030_000)).toBe(1_795_183_662_030);
    expect(microsToMillis(1_795_183_662_030_999)).toBe(1_795_183_662_030);
    expect(microsToMillis(999)).toBe(0);
    expect(microsToMillis(0)).toBe(0);
  });

  it('floors negative microseconds towards minus infinity', () => {
    expect(microsToMillis(-1)).toBe(-1);
    expect(microsToMillis(-999)).toBe(-1);
    expect(microsToMillis(-1000)).toBe(-1);
    expect(microsToMillis(-1001)).toBe(-2);
  });

  it('is exact for every safe integer', () => {
    expect(microsToMillis(Number.MAX_SAFE_INTEGER)).toBe(9_007_199_254_740);
    expect(microsToMillis(-Number.MAX_SAFE_INTEGER)).toBe(-9_007_199_254_741);
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 53n) + 1n, max: 2n ** 53n - 1n }), (micros) => {
        const floored = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n);
        expect(microsToMillis(Number(micros))).toBe(Number(floored));
      }),
    );
  });

  it('refuses fractions and unsafe integers', () => {
    expect(microsToMillis(1.5)).toBeNaN();
    expect(microsToMillis(2 ** 53)).toBeNaN();
    expect(microsToMillis(Number.NaN)).toBeNaN();
  });
});
