const DAY_MS = 86_400_000;
const MAX_CACHED_DAYS = 4096;
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** `YYYY-MM-DDT` by day number: views repeat few days, and `Date#toISOString` dominated derivation. */
const dayPrefixes = new Map<number, string>();

/**
 * Renders epoch ms as ISO-8601 UTC with milliseconds, exactly as `new Date(ms).toISOString()`
 * does, but without building a Date for every timestamp of every derived view.
 */
export function isoTimestamp(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    const full = new Date(day * DAY_MS).toISOString();
    prefix = full.slice(0, full.indexOf('T') + 1);
    if (dayPrefixes.size >= MAX_CACHED_DAYS) dayPrefixes.clear();
    dayPrefixes.set(day, prefix);
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${prefix}${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[rest - seconds * 1000]}Z`;
}
