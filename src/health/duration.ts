const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;

/** `0`, or one or more `<integer><unit>` parts in the order d, h, m, s: `30m`, `4h`, `1h30m`, `90s`. */
export const DURATION_PATTERN = /^(?:0|(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?)$/;

/** Human wording of {@link DURATION_PATTERN}, for validation messages. */
export const DURATION_EXPECTATION = 'expected a duration such as "30m", "4h" or "1h30m" (units d, h, m, s; "0" for none)';

/** Milliseconds of a duration string; undefined when it does not match {@link DURATION_PATTERN}. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, d, h, m, s] = match;
  return (
    Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h + Number(m ?? 0) * UNIT_MS.m + Number(s ?? 0) * UNIT_MS.s
  );
}

/** The shortest duration string for `ms` (whole seconds), the inverse of {@link parseDuration}. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = Math.floor(ms / 1000);
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
