import { isCanonicalDecimal, isCanonicalMillis } from '../normalize/index.js';
import type { InternalField, RecordShape } from './internal-schema.js';

/**
 * Checks a decoded internal message against its shape, value by value, before the link or merge
 * stage touches it. The Avro path already has the types right, but not the ranges: bytes that were
 * changed on the way (or written by something else with our header) can still decode, to a
 * timestamp no view can render, a decimal in a second spelling, a negative partition. The JSON v1
 * path has nothing checked at all. Whatever passes here is what normalize could have produced, so
 * the stages behind it cannot throw on it and stop their partition; whatever fails is a dead letter.
 *
 * A nullable field missing from a JSON message is set to null (JSON leaves out nothing, but an
 * older writer may not have known the field); other fields the shape does not name are left alone.
 */
export function checkInternalMessage(shape: RecordShape, message: unknown): string | undefined {
  return checkRecord(shape, message, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** The number of fraction digits a decimal string has; canonical at that scale is what normalize wrote. */
function decimalScale(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function checkRecord(shape: RecordShape, value: unknown, path: string): string | undefined {
  if (!isObject(value)) return `${path || 'message'}: expected a ${shape.name} object, got ${describe(value)}`;
  for (const [name, constant] of Object.entries(shape.constants)) {
    if (value[name] !== constant) return `${path}${name}: expected ${JSON.stringify(constant)}, got ${describe(value[name])}`;
  }
  for (const [name, field] of Object.entries(shape.fields)) {
    const problem = checkField(field, value, name, `${path}${name}`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkField(field: InternalField, holder: Record<string, unknown>, name: string, path: string): string | undefined {
  let value = holder[name];
  if (value === undefined) {
    if ('optional' in field && field.optional === true) return undefined;
    if (!field.nullable) return `${path}: is missing`;
    holder[name] = value = null;
  }
  if (value === null) return field.nullable || ('optional' in field && field.optional === true) ? undefined : `${path}: is null but not nullable`;
  switch (field.kind) {
    case 'string':
      return typeof value === 'string' ? undefined : `${path}: expected a string, got ${describe(value)}`;
    case 'decimal':
      return typeof value === 'string' && isCanonicalDecimal(value, decimalScale(value)) ? undefined : `${path}: expected a canonical decimal string, got ${describe(value)}`;
    // Any finite number: a value the Avro schema cannot carry (1.5 as a quantity) travels as JSON
    // v1 on purpose and still arrives; the merge takes it. Position numbers, which become lake
    // columns, are held to integers by the caller.
    case 'integer':
    case 'int':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `${path}: expected a number, got ${describe(value)}`;
    case 'timestamp':
      return isCanonicalMillis(value) ? undefined : `${path}: expected epoch ms within the years 0000–9999, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path}: expected a boolean, got ${describe(value)}`;
    case 'enum':
      return field.symbols.includes(value as string) ? undefined : `${path}: expected one of ${field.symbols.join(', ')}, got ${describe(value)}`;
    case 'record':
      return checkRecord(field.shape, value, `${path}.`);
    case 'union': {
      if (!isObject(value)) return `${path}: expected an object, got ${describe(value)}`;
      const tag = value[field.tag];
      const branch = typeof tag === 'string' && Object.hasOwn(field.branches, tag) ? field.branches[tag] : undefined;
      if (branch === undefined) return `${path}.${field.tag}: expected one of ${Object.keys(field.branches).join(', ')}, got ${describe(tag)}`;
      return checkRecord(branch, value, `${path}.`);
    }
  }
}
