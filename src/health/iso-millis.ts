const ZERO = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Epoch ms of a view timestamp. Views hold one form only, `YYYY-MM-DDTHH:mm:ss.sssZ`, read here
 * digit by digit (rules read several per view change, and `Date.parse` showed in profiles); any
 * other form falls back to `Date.parse`.
 */
export function isoMillis(text: string): number {
  const year = digits(text, 0, 4);
  // Date.UTC reads years below 100 as 19xx.
  if (text.length === 24 && year >= 100 && text.charCodeAt(10) === 84 && text.charCodeAt(23) === 90) {
    const ms = Date.UTC(
      year,
      digits(text, 5, 2) - 1,
      digits(text, 8, 2),
      digits(text, 11, 2),
      digits(text, 14, 2),
      digits(text, 17, 2),
      digits(text, 20, 3),
    );
    if (!Number.isNaN(ms)) return ms;
  }
  return Date.parse(text);
}
