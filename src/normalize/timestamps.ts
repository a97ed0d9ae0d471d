/**
 * Timestamp conversions to epoch milliseconds, the one time unit of canonical events. Hand-written
 * character scanning instead of `Date.parse`: `Date.parse` accepts offset-less and malformed strings
 * (and rounds differently across engines), while the contract wants anything but a well-formed
 * ZonedTimestamp to be a dead letter, and this runs for several fields of every CRM record.
 */

const DIGIT_0 = 48;
const MS_PER_DAY = 86_400_000;

function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - DIGIT_0;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoDigits(text: string, i: number): number {
  const a = digit(text, i);
  const b = digit(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (month 1–12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Parses a Debezium `ZonedTimestamp`: `YYYY-MM-DDTHH:MM:SS`, then 0 to 9 fraction digits after a
 * `.`, then `Z` or `±hh:mm`. Fraction digits beyond milliseconds are truncated, never rounded.
 * Returns epoch ms, or NaN for anything else (no offset, month 13, 30 February, trailing text…) so
 * the hot path can raise its own error with the field and input position.
 */
export function parseZonedTimestamp(text: string): number {
  const len = text.length;
  if (len < 20) return Number.NaN;
  const y1 = twoDigits(text, 0);
  const y2 = twoDigits(text, 2);
  if (y1 < 0 || y2 < 0 || text.charCodeAt(4) !== 45 /* - */) return Number.NaN;
  const year = y1 * 100 + y2;
  const month = twoDigits(text, 5);
  if (month < 1 || month > 12 || text.charCodeAt(7) !== 45) return Number.NaN;
  const day = twoDigits(text, 8);
  if (day < 1 || day > daysInMonth(year, month) || text.charCodeAt(10) !== 84 /* T */) return Number.NaN;
  const hour = twoDigits(text, 11);
  if (hour < 0 || hour > 23 || text.charCodeAt(13) !== 58 /* : */) return Number.NaN;
  const minute = twoDigits(text, 14);
  if (minute < 0 || minute > 59 || text.charCodeAt(16) !== 58) return Number.NaN;
  const second = twoDigits(text, 17);
  if (second < 0 || second > 59) return Number.NaN;

  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 46 /* . */) {
    i += 1;
    const start = i;
    while (i < len) {
      const d = digit(text, i);
      if (d < 0) break;
      if (i - start < 3) millis = millis * 10 + d;
      i += 1;
    }
    const count = i - start;
    if (count === 0 || count > 9) return Number.NaN;
    if (count === 1) millis *= 100;
    else if (count === 2) millis *= 10;
  }

  let offsetMinutes: number;
  const sign = text.charCodeAt(i);
  if (sign === 90 /* Z */) {
    if (i + 1 !== len) return Number.NaN;
    offsetMinutes = 0;
  } else if (sign === 43 /* + */ || sign === 45 /* - */) {
    if (i + 6 !== len || text.charCodeAt(i + 3) !== 58) return Number.NaN;
    const oh = twoDigits(text, i + 1);
    const om = twoDigits(text, i + 4);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offsetMinutes = (oh * 60 + om) * (sign === 45 ? -1 : 1);
  } else {
    return Number.NaN;
  }

  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    millis
  );
}

/**
 * The instants a canonical timestamp may hold: years 0000 to 9999, the range of a ZonedTimestamp's
 * four-digit year. The golden view renders every timestamp as ISO-8601, and JavaScript cannot
 * render an instant beyond ±8.64e15 ms at all (`RangeError: Invalid time value`), so a millis or
 * micros value outside this range (a corrupt `occurred_at`, say) must be a dead letter here rather
 * than an exception in the merge, which would stop its partition.
 */
export const MIN_CANONICAL_MILLIS = daysFromCivil(0, 1, 1) * MS_PER_DAY;
export const MAX_CANONICAL_MILLIS = daysFromCivil(10_000, 1, 1) * MS_PER_DAY - 1;

/** Whether `ms` is an integer instant within {@link MIN_CANONICAL_MILLIS}..{@link MAX_CANONICAL_MILLIS}. */
export function isCanonicalMillis(ms: unknown): ms is number {
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= MIN_CANONICAL_MILLIS && ms <= MAX_CANONICAL_MILLIS;
}

/**
 * Microseconds since the epoch (Debezium `MicroTimestamp`) floored to milliseconds — floored, so a
 * negative instant such as -1 µs becomes -1 ms, not 0. Exact for every safe integer: the remainder
 * is taken first so no division result is ever rounded. NaN when the input is not an integer.
 */
export function microsToMillis(micros: number): number {
  if (!Number.isSafeInteger(micros)) return Number.NaN;
  const rest = micros % 1000;
  const whole = (micros - rest) / 1000;
  return rest < 0 ? whole - 1 : whole;
}
