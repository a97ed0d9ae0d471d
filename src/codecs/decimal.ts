import { OrderlakeError } from '../errors.js';

/**
 * Exact conversions between Avro `decimal` bytes (big-endian two's-complement unscaled integer)
 * and the canonical decimal string of the golden view ("199.00", "0.50", "-3.10"). BigInt all the
 * way: money never passes through a float.
 */

const canonicalPatterns = new Map<number, RegExp>();

function canonicalPattern(scale: number): RegExp {
  let pattern = canonicalPatterns.get(scale);
  if (!pattern) {
    pattern = scale === 0 ? /^-?(0|[1-9][0-9]*)$/ : new RegExp(`^-?(0|[1-9][0-9]*)\\.[0-9]{${scale}}$`);
    canonicalPatterns.set(scale, pattern);
  }
  return pattern;
}

function isNegativeZero(value: string): boolean {
  return value.startsWith('-') && /^-0(\.0*)?$/.test(value);
}

/** Number of significant digits of an unscaled value, as the Avro `precision` counts them. */
function digitCount(unscaled: bigint): number {
  const abs = unscaled < 0n ? -unscaled : unscaled;
  return abs === 0n ? 1 : abs.toString().length;
}

/**
 * Whether `value` is the canonical string of a decimal at `scale`: an optional minus (never on
 * zero), no leading zeros, exactly `scale` fraction digits, and — when given — at most
 * `precision` digits in all.
 */
export function isCanonicalDecimal(value: unknown, scale: number, precision?: number): value is string {
  if (typeof value !== 'string' || !canonicalPattern(scale).test(value) || isNegativeZero(value)) return false;
  if (precision === undefined) return true;
  return digitCount(BigInt(value.replace('.', ''))) <= precision;
}

/** The unscaled integer of a canonical decimal string; throws `OL_ERR_NORMALIZE_DECIMAL` otherwise. */
export function parseCanonicalDecimal(value: unknown, scale: number, precision?: number): bigint {
  if (!isCanonicalDecimal(value, scale, precision)) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : `${typeof value} ${String(value)}`;
    const bound = precision === undefined ? `scale ${scale}` : `decimal(${precision},${scale})`;
    throw new OrderlakeError('OL_ERR_NORMALIZE_DECIMAL', `${shown} is not a canonical ${bound} string`, {
      context: { value: shown, scale, ...(precision === undefined ? {} : { precision }) },
    });
  }
  return BigInt(value.replace('.', ''));
}

/** The canonical string of `unscaled / 10^scale`. */
export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** Reads big-endian two's-complement bytes as a signed integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) {
    throw new OrderlakeError('OL_ERR_NORMALIZE_DECIMAL', 'decimal bytes are empty (zero is one 0x00 byte)');
  }
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const first = bytes[0] as number;
  return first & 0x80 ? value - (1n << BigInt(bytes.length * 8)) : value;
}

/** The shortest big-endian two's-complement bytes of `value` (as Java's BigInteger.toByteArray). */
export function bigIntToBytes(value: bigint): Buffer {
  let length = 1;
  if (value >= 0n) {
    while (value >= 1n << BigInt(length * 8 - 1)) length++;
  } else {
    while (value < -(1n << BigInt(length * 8 - 1))) length++;
  }
  let rest = value < 0n ? (1n << BigInt(length * 8)) + value : value;
  const bytes = Buffer.allocUnsafe(length);
  for (let i = length - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes;
}

/** Avro decimal bytes to the canonical string; `OL_ERR_NORMALIZE_DECIMAL` when out of precision. */
export function decodeDecimal(bytes: Uint8Array, scale: number, precision?: number): string {
  const unscaled = bytesToBigInt(bytes);
  if (precision !== undefined && digitCount(unscaled) > precision) {
    throw new OrderlakeError(
      'OL_ERR_NORMALIZE_DECIMAL',
      `decimal ${formatUnscaled(unscaled, scale)} has more than ${precision} digits`,
      { context: { scale, precision } },
    );
  }
  return formatUnscaled(unscaled, scale);
}

/** A canonical decimal string to Avro decimal bytes; anything else is `OL_ERR_NORMALIZE_DECIMAL`. */
export function encodeDecimal(value: unknown, scale: number, precision?: number): Buffer {
  return bigIntToBytes(parseCanonicalDecimal(value, scale, precision));
}
