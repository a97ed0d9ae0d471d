/**
 * Compares identifiers by Unicode code point, as the contract requires. JavaScript's `<` compares
 * UTF-16 code units, which sorts astral characters (surrogate pairs) before U+E000–U+FFFF; the
 * first differing code unit is shifted so that surrogates sort above the rest of the BMP.
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderUnit(x) - codePointOrderUnit(y);
  }
  return a.length - b.length;
}

function codePointOrderUnit(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * True when event (atA, idA) is newer than (atB, idB) by the WMS/TMS ordering: `occurred_at`,
 * then `event_id`.
 */
export function isNewerEvent(atA: number, idA: string, atB: number, idB: string): boolean {
  return atA > atB || (atA === atB && compareCodePoints(idA, idB) > 0);
}
