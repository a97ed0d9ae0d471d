import type { Rng } from './seeded-random.js';

/**
 * How the reference CRM's Debezium connector renders a `ZonedTimestamp`. The recorded examples mix
 * UTC with milliseconds, China Standard Time (`+08:00`) with milliseconds, and UTC truncated to
 * whole seconds; the contract also allows up to nine fraction digits, so some values carry
 * microseconds. Every variant stays within the contract; consumers must compare them as instants.
 */
export type ZonedStyle = 'utc-millis' | 'shanghai-millis' | 'utc-seconds' | 'utc-micros';

const STYLE_WEIGHTS: readonly (readonly [ZonedStyle, number])[] = [
  ['utc-millis', 35],
  ['shanghai-millis', 30],
  ['utc-seconds', 25],
  ['utc-micros', 10],
];

const PRECISE_STYLE_WEIGHTS = STYLE_WEIGHTS.filter(([style]) => style !== 'utc-seconds');

const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/**
 * Picks a rendering. `precise` excludes whole-second truncation for images whose exact instant
 * decides an outcome (a cancellation racing a shipment, an address change just after packing).
 */
export function pickZonedStyle(rng: Rng, precise = false): ZonedStyle {
  return rng.weighted(precise ? PRECISE_STYLE_WEIGHTS : STYLE_WEIGHTS);
}

/** Renders epoch milliseconds; `utc-micros` appends three sub-millisecond digits from `rng`. */
export function formatZoned(ms: number, style: ZonedStyle, rng: Rng): string {
  switch (style) {
    case 'utc-millis':
      return new Date(ms).toISOString();
    case 'utc-seconds':
      return `${new Date(ms).toISOString().slice(0, 19)}Z`;
    case 'shanghai-millis':
      return `${new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 23)}+08:00`;
    case 'utc-micros':
      return `${new Date(ms).toISOString().slice(0, 23)}${String(rng.int(0, 999)).padStart(3, '0')}Z`;
  }
}

/** A Debezium `MicroTimestamp`: microseconds since the epoch (floored to ms by consumers). */
export function toMicroTimestamp(ms: number, rng: Rng): number {
  return ms * 1000 + (rng.chance(0.2) ? rng.int(1, 999) : 0);
}
