/**
 * The orders a sandbox run compares (`--orders`, the API's `orders`): comma-separated ids and `*`
 * patterns, any of which may match. Null when the text names none.
 */
export function orderFilter(text: string): ((orderId: string) => boolean) | null {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return null;
  const exact = new Set(parts.filter((p) => !p.includes('*')));
  const patterns = parts
    .filter((p) => p.includes('*'))
    .map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's'));
  return (id) => exact.has(id) || patterns.some((re) => re.test(id));
}
