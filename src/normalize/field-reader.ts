import { OrderlakeError } from '../errors.js';
import { isCanonicalDecimal } from './canonical-decimal.js';
import type { FieldMapping, FieldType, ValueMap } from './pipeline-schema.js';
import { isCanonicalMillis, microsToMillis, parseZonedTimestamp } from './timestamps.js';

/**
 * Reads one canonical field from a source record: path lookup, null handling, conversion and value
 * mapping, compiled once per pipeline so that the per-record work is a few property reads and
 * type checks. Throws an `OrderlakeError` without input context; the normalizer adds the position.
 */
export type FieldReader = (record: object) => unknown;

type Getter = (record: object) => unknown;
type Converter = (value: unknown, where: string) => unknown;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function fail(code: 'OL_ERR_NORMALIZE_MAPPING' | 'OL_ERR_NORMALIZE_DECIMAL' | 'OL_ERR_NORMALIZE_TIMESTAMP', where: string, message: string): never {
  throw new OrderlakeError(code, `${where}: ${message}`);
}

function compileGetter(path: string): Getter {
  const segments = path.split('.');
  if (segments.length === 1) {
    const [a] = segments as [string];
    return (record) => (record as Record<string, unknown>)[a];
  }
  if (segments.length === 2) {
    const [a, b] = segments as [string, string];
    return (record) => {
      const inner = (record as Record<string, unknown>)[a];
      return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>)[b] : undefined;
    };
  }
  return (record) => {
    let current: unknown = record;
    for (const segment of segments) {
      if (typeof current !== 'object' || current === null) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
    return current;
  };
}

/** Integers may arrive as bigint from some Avro settings; accept them while they are exact. */
function asInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
}

function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}

/** A converted timestamp the golden view can render (years 0000–9999), else a dead letter. */
function inRange(ms: number, where: string, raw: unknown): number {
  if (isCanonicalMillis(ms)) return ms;
  return fail('OL_ERR_NORMALIZE_TIMESTAMP', where, `${preview(raw)} is outside the years 0000–9999 a timestamp may have`);
}

function compileConverter(type: FieldType, scale: number | undefined): Converter {
  switch (type) {
    case 'string':
      return (value, where) => (typeof value === 'string' ? value : fail('OL_ERR_NORMALIZE_MAPPING', where, `expected a string, got ${preview(value)}`));
    case 'boolean':
      return (value, where) => (typeof value === 'boolean' ? value : fail('OL_ERR_NORMALIZE_MAPPING', where, `expected a boolean, got ${preview(value)}`));
    case 'int':
      return (value, where) => {
        const n = asInteger(value);
        if (n === undefined || n < INT32_MIN || n > INT32_MAX) fail('OL_ERR_NORMALIZE_MAPPING', where, `expected a 32-bit integer, got ${preview(value)}`);
        return n;
      };
    case 'long':
      return (value, where) => {
        const n = asInteger(value);
        return n !== undefined ? n : fail('OL_ERR_NORMALIZE_MAPPING', where, `expected a safe integer, got ${preview(value)}`);
      };
    case 'decimal': {
      const digits = scale ?? 0;
      return (value, where) =>
        typeof value === 'string' && isCanonicalDecimal(value, digits)
          ? value
          : fail('OL_ERR_NORMALIZE_DECIMAL', where, `expected a canonical decimal string with ${digits} fraction digits, got ${preview(value)}`);
    }
    case 'zoned-timestamp':
      return (value, where) => {
        if (typeof value !== 'string') fail('OL_ERR_NORMALIZE_MAPPING', where, `expected an ISO-8601 timestamp string, got ${preview(value)}`);
        const ms = parseZonedTimestamp(value);
        if (Number.isNaN(ms)) fail('OL_ERR_NORMALIZE_TIMESTAMP', where, `expected an ISO-8601 timestamp with Z or ±hh:mm offset and 0-9 fraction digits, got ${preview(value)}`);
        return inRange(ms, where, value);
      };
    case 'micro-timestamp':
      return (value, where) => {
        if (!isNumeric(value)) fail('OL_ERR_NORMALIZE_MAPPING', where, `expected microseconds since the epoch (a number), got ${preview(value)}`);
        const micros = asInteger(value);
        const ms = micros === undefined ? Number.NaN : microsToMillis(micros);
        if (Number.isNaN(ms)) fail('OL_ERR_NORMALIZE_TIMESTAMP', where, `expected an integer count of microseconds, got ${preview(value)}`);
        return inRange(ms, where, value);
      };
    case 'millis-timestamp':
      return (value, where) => {
        if (!isNumeric(value)) fail('OL_ERR_NORMALIZE_MAPPING', where, `expected milliseconds since the epoch (a number), got ${preview(value)}`);
        const ms = asInteger(value);
        return ms !== undefined ? inRange(ms, where, value) : fail('OL_ERR_NORMALIZE_TIMESTAMP', where, `expected an integer count of milliseconds, got ${preview(value)}`);
      };
  }
}

/** How a reader reports and tolerates what it reads. */
export interface FieldReaderOptions {
  /** Prefix for error messages, e.g. "after." for a Debezium image. */
  readonly pathPrefix: string;
  /** Force null-tolerance (used for identity fields read from a delete's `before` image). */
  readonly nullable?: boolean;
}

/**
 * Compiles the mapping of one canonical field. `maps` must contain the table the mapping names
 * (the loader has checked that).
 */
export function compileFieldReader(
  name: string,
  mapping: FieldMapping,
  maps: Readonly<Record<string, ValueMap>>,
  options: FieldReaderOptions,
): FieldReader {
  const where = `${options.pathPrefix}${mapping.from} (canonical ${name})`;
  const get = compileGetter(mapping.from);
  const convert = compileConverter(mapping.type, mapping.scale);
  const nullable = options.nullable ?? mapping.nullable;
  const table = mapping.map === undefined ? undefined : maps[mapping.map];
  const mapName = mapping.map ?? '';
  const lookup = table === undefined ? undefined : new Map(Object.entries(table.values));
  const fallback = table?.default;

  const base: FieldReader = (record) => {
    const raw = get(record);
    if (raw === undefined || raw === null) {
      if (nullable) return null;
      return fail('OL_ERR_NORMALIZE_MAPPING', where, raw === null ? 'is null but not nullable' : 'is missing');
    }
    return convert(raw, where);
  };
  if (lookup === undefined) return base;
  return (record) => {
    const value = base(record);
    if (value === null) return null;
    const mapped = lookup.get(value as string);
    if (mapped !== undefined) return mapped;
    if (fallback !== undefined) return fallback;
    return fail('OL_ERR_NORMALIZE_MAPPING', where, `value ${preview(value)} is not in map "${mapName}", which has no default`);
  };
}
