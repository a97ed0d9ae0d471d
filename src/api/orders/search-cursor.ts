/**
 * The position after the last order of a search page, in the page order (newest `created_at`
 * first, then `order_id` descending, orders without `created_at` last).
 */
export interface SearchKey {
  /** `created_at` in epoch ms, or null for an order whose CRM row is not known yet. */
  createdAt: number | null;
  orderId: string;
}

/**
 * Opaque to clients (base64url of a small JSON object) so that the key can change shape without
 * breaking the API: clients pass back exactly what they were given.
 */
export function encodeCursor(key: SearchKey): string {
  return Buffer.from(JSON.stringify({ c: key.createdAt, o: key.orderId }), 'utf8').toString('base64url');
}

/** The key inside a cursor, or null when the cursor was not made by {@link encodeCursor}. */
export function decodeCursor(cursor: string): SearchKey | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { c, o } = value as Record<string, unknown>;
  if (typeof o !== 'string' || o === '') return null;
  if (c !== null && !(typeof c === 'number' && Number.isSafeInteger(c))) return null;
  return { createdAt: c, orderId: o };
}
