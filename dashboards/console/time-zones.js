// Times as the console shows them: every time carries its zone ("2026-12-02 16:05 UTC+8"), in the
// zone the agent picked (the browser's own, UTC or China Standard Time). The API sends ISO-8601
// UTC; nothing here reads a clock. Plain JS, loaded by index.html and by the unit tests (vm).
(() => {
  'use strict';

  /** The zones an agent can pick: the browser's, UTC, and the reference deployment's (China). */
  const ZONE_CHOICES = Object.freeze(['local', 'UTC', 'Asia/Shanghai']);

  /** The IANA name of the browser's own zone ("UTC" when it cannot say). */
  function localZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    } catch {
      return 'UTC';
    }
  }

  /** The IANA zone a choice stands for. */
  const resolveZone = (choice) => (!choice || choice === 'local' ? localZone() : choice);

  const formatters = new Map();
  function formatter(zone) {
    let f = formatters.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'longOffset',
      });
      formatters.set(zone, f);
    }
    return f;
  }

  /**
   * "GMT+08:00" → "UTC+8", "GMT+05:30" → "UTC+5:30", "GMT" → "UTC": the offset in force at that
   * instant (so summer time shows as it was then).
   */
  function offsetLabel(gmt) {
    const m = /^GMT([+-])(\d{2}):?(\d{2})?$/.exec(gmt || '');
    if (!m) return 'UTC';
    const hours = String(Number(m[2]));
    const minutes = m[3] && m[3] !== '00' ? `:${m[3]}` : '';
    if (hours === '0' && !minutes) return 'UTC';
    return `UTC${m[1]}${hours}${minutes}`;
  }

  /**
   * The parts of an instant in `zone`: date "YYYY-MM-DD", time "HH:mm", seconds "ss", and the
   * zone label ("UTC+8"). Null for a missing or unreadable time.
   */
  function zonedParts(iso, zone) {
    if (iso === null || iso === undefined || iso === '') return null;
    const ms = typeof iso === 'number' ? iso : Date.parse(iso);
    if (!Number.isFinite(ms)) return null;
    const parts = {};
    for (const p of formatter(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
    return {
      date: `${parts.year}-${parts.month}-${parts.day}`,
      time: `${parts.hour}:${parts.minute}`,
      seconds: parts.second,
      zone: offsetLabel(parts.timeZoneName),
    };
  }

  /** "2026-12-02 16:05 UTC+8" (with `seconds`: "16:05:09"), or null for a missing time. */
  function formatZoned(iso, zone, options = {}) {
    const p = zonedParts(iso, zone);
    if (!p) return null;
    return `${p.date} ${p.time}${options.seconds ? `:${p.seconds}` : ''} ${p.zone}`;
  }

  /** How the zone choice reads in the picker: "Local (Europe/Berlin, UTC+1)". */
  function describeZone(choice, atIso) {
    const zone = resolveZone(choice);
    const p = zonedParts(atIso, zone);
    const label = p ? p.zone : '';
    if (choice === 'local') return `Local (${zone}${label && label !== zone ? `, ${label}` : ''})`;
    if (zone === 'UTC') return 'UTC';
    return `${zone}${label ? ` (${label})` : ''}`;
  }

  /** "45 s", "12 min", "3 h", "2 d" between two instants (ms), without sign. */
  function span(ms) {
    const s = Math.round(Math.abs(ms) / 1000);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.round(s / 60)} min`;
    if (s < 86400) return `${Math.round(s / 3600)} h`;
    return `${Math.round(s / 86400)} d`;
  }

  /** "12 min ago" / "in 3 h" from `nowMs`. */
  function relative(iso, nowMs) {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) return '';
    const delta = nowMs - ms;
    return delta >= 0 ? `${span(delta)} ago` : `in ${span(delta)}`;
  }

  /**
   * A wall time typed in `zone` ("2026-12-02T16:05", as a datetime-local input gives it) as the
   * instant it names, ISO-8601 UTC; null when unreadable. A time that a summer-time change skips
   * or repeats takes the offset in force just before the change.
   */
  function wallTimeToIso(value, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value || '');
    if (!m) return null;
    const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] || 0));
    if (!Number.isFinite(wall)) return null;
    // The zone's offset at an instant: its wall time there minus the instant.
    const offsetAt = (ms) => {
      const p = zonedParts(ms, zone);
      const [y, mo, d] = p.date.split('-').map(Number);
      const [h, mi] = p.time.split(':').map(Number);
      return Date.UTC(y, mo - 1, d, h, mi, Number(p.seconds)) - Math.floor(ms / 1000) * 1000;
    };
    const first = offsetAt(wall - offsetAt(wall));
    const ms = wall - first;
    const second = offsetAt(ms);
    return new Date(second === first ? ms : Math.max(ms, wall - second)).toISOString();
  }

  /** An instant as a datetime-local input shows it in `zone` ("2026-12-02T16:05"); '' for a missing time. */
  function isoToWallTime(iso, zone) {
    const p = zonedParts(iso, zone);
    return p ? `${p.date}T${p.time}` : '';
  }

  globalThis.orderlakeTime = Object.freeze({ ZONE_CHOICES, localZone, resolveZone, offsetLabel, zonedParts, formatZoned, describeZone, span, relative, wallTimeToIso, isoToWallTime });
})();
