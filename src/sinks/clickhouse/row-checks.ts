/**
 * Cheap per-field checks run when a row is written: ClickHouse rejects a whole insert for one
 * value that does not parse, and a rejected batch would be retried for ever, so a bad row must be
 * refused before it joins one. Each returns a problem description, or undefined.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UNSIGNED_DECIMAL = /^\d{1,20}$/;
const SIGNED_DECIMAL = /^-?\d{1,19}$/;

export type FieldCheck = (value: unknown) => boolean;

/** A JSON object held as a value (an event, a view), not yet serialized. */
export type JsonObject = object;

export const text: FieldCheck = (v) => typeof v === 'string';
export const nullableText: FieldCheck = (v) => v === null || typeof v === 'string';
export const texts: FieldCheck = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
/**
 * A JSON document for a `String` column: text, or a plain object the insert writes as its JSON
 * text (see `encodeJsonCompactRows`).
 */
export const jsonDocument: FieldCheck = (v) =>
  typeof v === 'string' || (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype);
export const flag: FieldCheck = (v) => v === 0 || v === 1;
export const uuid: FieldCheck = (v) => typeof v === 'string' && UUID.test(v);
/** Epoch ms as DateTime64(3) holds it. */
export const millis: FieldCheck = (v) => Number.isSafeInteger(v);
export const nullableMillis: FieldCheck = (v) => v === null || Number.isSafeInteger(v);
export const unsignedDecimal: FieldCheck = (v) => typeof v === 'string' && UNSIGNED_DECIMAL.test(v);
export const signedDecimal: FieldCheck = (v) => typeof v === 'string' && SIGNED_DECIMAL.test(v);

export function uint(bits: 8 | 16 | 32 | 64): FieldCheck {
  const max = bits === 64 ? Number.MAX_SAFE_INTEGER : 2 ** bits - 1;
  return (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;
}

export function int(bits: 32): FieldCheck {
  return (v) => Number.isSafeInteger(v) && (v as number) >= -(2 ** (bits - 1)) && (v as number) < 2 ** (bits - 1);
}

/** Checks `row` field by field against `spec`; the first misfit is described. */
export function checkRow(row: unknown, spec: Readonly<Record<string, FieldCheck>>): string | undefined {
  if (row === null || typeof row !== 'object') return 'not an object';
  const record = row as Record<string, unknown>;
  for (const [field, fits] of Object.entries(spec)) {
    if (!fits(record[field])) return `${field} = ${JSON.stringify(record[field]) ?? 'undefined'}`;
  }
  return undefined;
}
