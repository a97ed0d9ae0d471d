import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isCanonicalDecimal } from '../../../src/normalize/index.js';

/** The canonical text of an unscaled integer at a scale, built independently of the checker. */
function canonical(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

describe('isCanonicalDecimal', () => {
  it.each([
    ['199.00', 2],
    ['0.50', 2],
    ['-3.10', 2],
    ['0.00', 2],
    ['12', 0],
    ['0', 0],
    ['-7', 0],
    ['0.001', 3],
  ])('accepts %s at scale %i', (text, scale) => {
    expect(isCanonicalDecimal(text, scale)).toBe(true);
  });

  it.each([
    ['199.0', 2, 'too few fraction digits'],
    ['199.000', 2, 'too many fraction digits'],
    ['199', 2, 'no fraction'],
    ['0199.00', 2, 'a leading zero'],
    ['00.50', 2, 'two leading zeros'],
    ['.50', 2, 'no integer digit'],
    ['-0.00', 2, 'negative zero'],
    ['-0', 0, 'negative zero at scale 0'],
    ['+1.00', 2, 'a plus sign'],
    ['1e2', 0, 'an exponent'],
    ['1,00', 2, 'a comma'],
    [' 1.00', 2, 'a leading space'],
    ['1.00 ', 2, 'a trailing space'],
    ['1.', 0, 'a dot at scale 0'],
    ['', 2, 'nothing'],
    ['-', 0, 'a lone minus'],
    ['1.0a', 2, 'a letter'],
  ])('refuses %s at scale %i (%s)', (text, scale) => {
    expect(isCanonicalDecimal(text, scale)).toBe(false);
  });

  it('accepts exactly the canonical text of any unscaled value at any scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 10 }), (unscaled, scale) => {
        const text = canonical(unscaled, scale);
        expect(isCanonicalDecimal(text, scale)).toBe(true);
        expect(isCanonicalDecimal(text, scale + 1)).toBe(false);
        if (scale > 0) expect(isCanonicalDecimal(`${text}0`, scale)).toBe(false);
      }),
    );
  });
});
