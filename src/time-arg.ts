const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** What {@link parseTimeArg} takes, for error messages. */
export const TIME_ARG_EXPECTED = 'expected an ISO 8601 time with its zone (2026-11-22T18:00:00+08:00), epoch milliseconds, or a duration ago (30m, 2h, 7d)';

/**
 * A TIME argument (CLI flags, API body fields) as epoch ms: an ISO 8601 date-time with its zone (a
 * date alone is UTC midnight), epoch milliseconds, or a duration before `now` (`30m`, `2h`, `7d`).
 * Null when it is none of these: a time without a zone is refused rather than read in the server's.
 */
export function parseTimeArg(text: string, now: number): number | null {
  const trimmed = text.trim();
  const ago = DURATION.exec(trimmed);
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  if (/^\d{10,}$/.test(trimmed)) return Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : null;
  if (!ISO_WITH_ZONE.test(trimmed)) return null;
  const ms = Date.parse(trimmed);
  return Number.isFinite(ms) ? ms : null;
}
