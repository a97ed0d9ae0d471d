/** One leaf of a golden view that differs: its path (`fulfillments[0].status`) with both values. */
export interface FieldChange {
  path: string;
  /** undefined: the field is absent on that side (a line or shipment only one side has). */
  before: unknown;
  after: unknown;
}

/** The fields of a view that never say anything about the candidate: processing-time bookkeeping. */
const VOLATILE = new Set(['version', 'updated_at']);

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Every leaf where two golden views differ, in document order of `before` then new keys of
 * `after`. Arrays are compared element by element (the merge keeps lines, fulfillments and
 * shipments in a fixed order); a whole view on one side only is one change at path ''.
 */
export function diffViews(before: Record<string, unknown> | null, after: Record<string, unknown> | null): FieldChange[] {
  const out: FieldChange[] = [];
  if (before === null || after === null) {
    if (before !== after) out.push({ path: '', before: before ?? undefined, after: after ?? undefined });
    return out;
  }
  walk(strip(before), strip(after), '', out);
  return out;
}

function strip(view: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view)) if (!VOLATILE.has(k)) rest[k] = v;
  return rest;
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    for (const k of keys) walk(a[k], b[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  if (a === b) return;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ path, before: a, after: b });
}
