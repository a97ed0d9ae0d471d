/**
 * The value at a field path as the sandbox names it (`fulfillments[0].status`, `customer.name`) in
 * a view; undefined when the path leads nowhere. Written independently of the sandbox's own diff.
 */
export function valueAt(view: Record<string, unknown> | undefined, fieldPath: string): unknown {
  let v: unknown = view;
  for (const part of fieldPath.match(/[^.[\]]+/g) ?? []) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[/^\d+$/.test(part) && Array.isArray(v) ? Number(part) : part];
  }
  return v;
}
