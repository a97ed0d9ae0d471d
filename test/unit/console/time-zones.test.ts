import { describe, expect, it } from 'vitest';
import { loadConsoleScript } from './console-scripts.js';

interface TimeModule {
  ZONE_CHOICES: readonly string[];
  resolveZone(choice: string): string;
  offsetLabel(gmt: string): string;
  zonedParts(iso: string | null, zone: string): { date: string; time: string; seconds: string; zone: string } | null;
  formatZoned(iso: string | null, zone: string, options?: { seconds?: boolean }): string | null;
  describeZone(choice: string, atIso: string): string;
  relative(iso: string, nowMs: number): string;
}

const time = loadConsoleScript<TimeModule>('time-zones.js', 'orderlakeTime');

describe('console times (dashboards/console/time-zones.js)', () => {
  it('shows every time with the zone it is shown in', () => {
    const iso = '2026-12-02T12:52:57.301Z';
    expect(time.formatZoned(iso, 'Asia/Shanghai')).toBe('2026-12-02 20:52 UTC+8');
    expect(time.formatZoned(iso, 'UTC')).toBe('2026-12-02 12:52 UTC');
    expect(time.formatZoned(iso, 'UTC', { seconds: true })).toBe('2026-12-02 12:52:57 UTC');
    expect(time.formatZoned(iso, 'Asia/Kolkata')).toBe('2026-12-02 18:22 UTC+5:30');
    // The offset in force at that instant: New York is UTC-5 in winter, UTC-4 in summer.
    expect(time.formatZoned(iso, 'America/New_York')).toBe('2026-12-02 07:52 UTC-5');
    expect(time.formatZoned('2026-07-01T12:00:00.000Z', 'America/New_York')).toBe('2026-07-01 08:00 UTC-4');
    // Crossing midnight changes the date too.
    expect(time.formatZoned('2026-12-02T18:30:00.000Z', 'Asia/Shanghai')).toBe('2026-12-03 02:30 UTC+8');
  });

  it('says nothing for a missing or unreadable time', () => {
    expect(time.formatZoned(null, 'UTC')).toBeNull();
    expect(time.formatZoned('', 'UTC')).toBeNull();
    expect(time.formatZoned('not a time', 'UTC')).toBeNull();
  });

  it('names the zones an agent can pick', () => {
    expect(time.ZONE_CHOICES).toEqual(['local', 'UTC', 'Asia/Shanghai']);
    expect(time.resolveZone('UTC')).toBe('UTC');
    expect(time.resolveZone('local')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(time.describeZone('Asia/Shanghai', '2026-12-02T00:00:00Z')).toBe('Asia/Shanghai (UTC+8)');
    expect(time.describeZone('UTC', '2026-12-02T00:00:00Z')).toBe('UTC');
    expect(time.offsetLabel('GMT')).toBe('UTC');
    expect(time.offsetLabel('GMT-03:30')).toBe('UTC-3:30');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(time.relative('2026-12-02T11:59:30Z', now)).toBe('30 s ago');
    expect(time.relative('2026-12-02T11:48:00Z', now)).toBe('12 min ago');
    expect(time.relative('2026-12-02T15:00:00Z', now)).toBe('in 3 h');
  });
});
