import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import type { ReplayLine } from '../../../src/simulator/index.js';

const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schemas');

const types = new Map<string, avro.Type>();

/** The writer schema `name` from schemas/, parsed by plain avsc (logical types left to the test). */
export function writerType(name: string): avro.Type {
  let type = types.get(name);
  if (!type) {
    const json = JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.avsc`), 'utf8')) as avro.Schema;
    type = avro.Type.forSchema(json, { logicalTypes: {} });
    types.set(name, type);
  }
  return type;
}

/** Decimal fields per writer schema: (path inside the value, nullable). */
const DECIMAL_FIELDS: Record<string, readonly (readonly [readonly string[], boolean])[]> = {
  'crm.public.orders': [
    [['before', 'total_amount'], false],
    [['after', 'total_amount'], false],
  ],
  'crm.public.order_lines': [
    [['before', 'unit_price'], false],
    [['after', 'unit_price'], false],
  ],
  'crm.public.after_sales': [
    [['before', 'refund_amount'], true],
    [['after', 'refund_amount'], true],
  ],
};

export const CANONICAL_SCALE_2 = /^-?(0|[1-9]\d*)\.\d{2}$/;

/**
 * Why `value` is not valid for its writer schema, or undefined when it is. Decimal strings must be
 * canonical at scale 2; they are swapped for Buffers on a copy, since plain avsc expects bytes.
 */
export function schemaProblem(line: ReplayLine): string | undefined {
  if (line.value === null) return undefined;
  const copy = structuredClone(line.value) as Record<string, unknown>;
  for (const [fieldPath, nullable] of DECIMAL_FIELDS[line.schema] ?? []) {
    const parent = copy[fieldPath[0] as string] as Record<string, unknown> | null;
    if (parent === null) continue;
    const field = fieldPath[1] as string;
    const decimal = parent[field];
    if (decimal === null && nullable) continue;
    if (typeof decimal !== 'string' || !CANONICAL_SCALE_2.test(decimal)) return `${fieldPath.join('.')}: not a canonical decimal: ${JSON.stringify(decimal)}`;
    parent[field] = Buffer.from(decimal);
  }
  let problem: string | undefined;
  const valid = writerType(line.schema).isValid(copy, {
    noUndeclaredFields: true,
    errorHook: (pathParts, value) => {
      problem ??= `${pathParts.join('.')}: ${JSON.stringify(value)}`;
    },
  });
  return valid ? undefined : (problem ?? 'invalid');
}
