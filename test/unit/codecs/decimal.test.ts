import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  bigIntToBytes,
  bytesToBigInt,
  decodeDecimal,
  encodeDecimal,
  formatUnscaled,
  isCanonicalDecimal,
  parseAvroType,
} from '../../../src/codecs/index.js';
import { OrderlakeError } from '../../../src/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof OrderlakeError ? err.code : `not an OrderlakeError: ${String(err)}`;
  }
  return undefined;
}

describe('two-complement bytes', () => {
  it.each([
    [0n, '00'],
    [1n, '01'],
    [127n, '7f'],
    [128n, '0080'],
    [255n, '00ff'],
    [19900n, '4dbc'],
    [-1n, 'ff'],
    [-128n, '80'],
    [-129n, 'ff7f'],
    [-310n, 'feca'],
  ])('%s is %s, the shortest form', (value, hex) => {
    expect(bigIntToBytes(value).toString('hex')).toBe(hex);
    expect(bytesToBigInt(Buffer.from(hex, 'hex'))).toBe(value);
  });

  it('reads non-minimal sign-extended bytes too', () => {
    expect(bytesToBigInt(Buffer.from('0000ff', 'hex'))).toBe(255n);
    expect(bytesToBigInt(Buffer.from('ffff80', 'hex'))).toBe(-128n);
  });

  it('rejects empty bytes', () => {
    expect(codeOf(() => bytesToBigInt(Buffer.alloc(0)))).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });
});

describe('canonical decimal strings', () => {
  it.each([
    [19900n, 2, '199.00'],
    [50n, 2, '0.50'],
    [-310n, 2, '-3.10'],
    [0n, 2, '0.00'],
    [-5n, 2, '-0.05'],
    [7n, 0, '7'],
    [-7n, 3, '-0.007'],
  ])('unscaled %s at scale %s formats as %s', (unscaled, scale, text) => {
    expect(formatUnscaled(unscaled, scale)).toBe(text);
    expect(isCanonicalDecimal(text, scale)).toBe(true);
  });

  it.each(['199.0', '199.000', '0199.00', '1e2', '+1.00', '-0.00', '.50', '1.', ' 1.00', '1,00', '', '00.00'])(
    'rejects %j at scale 2',
    (text) => {
      expect(isCanonicalDecimal(text, 2)).toBe(false);
      expect(codeOf(() => encodeDecimal(text, 2, 12))).toBe('OL_ERR_NORMALIZE_DECIMAL');
    },
  );

  it.each([199, 199.5, null, undefined, 10n, { value: '1.00' }])('rejects the non-string %s', (value) => {
    expect(codeOf(() => encodeDecimal(value, 2, 12))).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });

  it('enforces precision on encode and decode', () => {
    expect(encodeDecimal('999.99', 2, 5).toString('hex')).toBe(bigIntToBytes(99999n).toString('hex'));
    expect(codeOf(() => encodeDecimal('1000.00', 2, 5))).toBe('OL_ERR_NORMALIZE_DECIMAL');
    expect(codeOf(() => decodeDecimal(bigIntToBytes(100000n), 2, 5))).toBe('OL_ERR_NORMALIZE_DECIMAL');
  });

  it('round-trips random unscaled values at scale 2 exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (unscaled) => {
        const text = formatUnscaled(unscaled, 2);
        expect(isCanonicalDecimal(text, 2, 31)).toBe(true);
        const bytes = encodeDecimal(text, 2, 31);
        expect(bytesToBigInt(bytes)).toBe(unscaled);
        expect(decodeDecimal(bytes, 2, 31)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips at random scales (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 10 }), (unscaled, scale) => {
        const text = formatUnscaled(unscaled, scale);
        expect(decodeDecimal(encodeDecimal(text, scale), scale)).toBe(text);
      }),
    );
  });
});

describe('the decimal logical type in avsc', () => {
  const money = { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 };
  const type = parseAvroType({
    type: 'record',
    name: 'Priced',
    fields: [
      { name: 'price', type: money },
      { name: 'refund', type: ['null', money], default: null },
    ],
  });

  it('writes canonical strings as two-complement bytes and reads them back', () => {
    for (const price of ['199.00', '0.50', '-3.10', '0.00', '9999999999.99', '-9999999999.99']) {
      const buf = type.toBuffer({ price, refund: price });
      expect(type.fromBuffer(buf)).toEqual({ price, refund: price });
    }
    expect(type.fromBuffer(type.toBuffer({ price: '1.00', refund: null }))).toEqual({ price: '1.00', refund: null });
  });

  it('encodes the wire bytes Java Avro would (length-prefixed unscaled integer)', () => {
    const single = parseAvroType(money);
    expect(single.toBuffer('199.00').toString('hex')).toBe('044dbc');
    expect(single.toBuffer('-3.10').toString('hex')).toBe('04feca');
  });

  it('treats a non-canonical string or a number as invalid', () => {
    expect(type.isValid({ price: '199.0', refund: null })).toBe(false);
    expect(type.isValid({ price: 199, refund: null })).toBe(false);
    expect(type.isValid({ price: '199.00', refund: '1e2' })).toBe(false);
    expect(type.isValid({ price: '199.00', refund: null })).toBe(true);
  });

  it('exports precision and scale with the schema', () => {
    expect(JSON.stringify(type.schema({ exportAttrs: true }))).toContain('"logicalType":"decimal","precision":12,"scale":2');
  });

  it('resolves plain bytes writers and same-scale decimal writers, not other scales', () => {
    const reader = parseAvroType(money);
    const bytesWriter = parseAvroType('bytes');
    const fromBytes = reader.createResolver(bytesWriter);
    expect(reader.fromBuffer(bytesWriter.toBuffer(Buffer.from('4dbc', 'hex')), fromBytes)).toBe('199.00');

    const narrower = parseAvroType({ ...money, precision: 6 });
    expect(reader.fromBuffer(narrower.toBuffer('1234.56'), reader.createResolver(narrower))).toBe('1234.56');

    const wider = parseAvroType({ ...money, precision: 20 });
    const fromWider = reader.createResolver(wider);
    expect(codeOf(() => reader.fromBuffer(wider.toBuffer('123456789012345.00'), fromWider))).toBe('OL_ERR_NORMALIZE_DECIMAL');

    const otherScale = parseAvroType({ ...money, scale: 3 });
    expect(() => reader.createResolver(otherScale)).toThrow();
  });

  it('refuses a decimal schema with a bad precision or scale', () => {
    expect(() => parseAvroType({ type: 'bytes', logicalType: 'decimal', precision: 0, scale: 0 })).toThrow(/precision/);
    expect(() => parseAvroType({ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 5 })).toThrow(/scale/);
  });

  it('supports fixed-size decimals with sign extension', () => {
    const fixed = parseAvroType({ type: 'fixed', name: 'Money', size: 4, logicalType: 'decimal', precision: 9, scale: 2 });
    expect(fixed.toBuffer('-3.10').toString('hex')).toBe('fffffeca');
    expect(fixed.fromBuffer(fixed.toBuffer('-3.10'))).toBe('-3.10');
    expect(fixed.fromBuffer(fixed.toBuffer('199.00'))).toBe('199.00');
  });
});
