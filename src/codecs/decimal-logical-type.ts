import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { OrderlakeError } from '../errors.js';
import { bigIntToBytes, decodeDecimal, parseCanonicalDecimal } from './decimal.js';

interface DecimalSchema {
  type: string;
  precision?: unknown;
  scale?: unknown;
  size?: unknown;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function signExtend(bytes: Buffer, size: number, negative: boolean): Buffer {
  if (bytes.length > size) {
    throw new OrderlakeError('OL_ERR_NORMALIZE_DECIMAL', `decimal needs ${bytes.length} bytes, the fixed type has ${size}`);
  }
  const out = Buffer.alloc(size, negative ? 0xff : 0x00);
  bytes.copy(out, size - bytes.length);
  return out;
}

/**
 * The Avro `decimal` logical type over `bytes` (or `fixed`), read and written as the canonical
 * decimal string at the schema's scale. Writing accepts nothing but that canonical string, so a
 * replay value like "199.0" or 199 is rejected instead of silently rescaled.
 */
export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  private readonly fixedSize: number | undefined;

  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    const attrs = schema as unknown as DecimalSchema;
    const precision = attrs.precision;
    const scale = attrs.scale ?? 0;
    if (!isWholeNumber(precision) || precision < 1) {
      throw new Error(`decimal precision must be a positive integer, got ${JSON.stringify(precision)}`);
    }
    if (!isWholeNumber(scale) || scale < 0 || scale > precision) {
      throw new Error(`decimal scale must be an integer in [0, ${precision}], got ${JSON.stringify(scale)}`);
    }
    const underlying = this.underlyingType.typeName;
    if (underlying !== 'bytes' && underlying !== 'fixed') {
      throw new Error(`decimal must annotate bytes or fixed, not ${underlying}`);
    }
    this.precision = precision;
    this.scale = scale;
    this.fixedSize = underlying === 'fixed' ? (this.underlyingType as unknown as { size: number }).size : undefined;
  }

  protected override _fromValue(bytes: Buffer): string {
    return decodeDecimal(bytes, this.scale, this.precision);
  }

  protected override _toValue(value: unknown): Buffer {
    const unscaled = parseCanonicalDecimal(value, this.scale, this.precision);
    const bytes = bigIntToBytes(unscaled);
    return this.fixedSize === undefined ? bytes : signExtend(bytes, this.fixedSize, unscaled < 0n);
  }

  /**
   * Writer-to-reader resolution. A writer decimal of the same scale already yields the canonical
   * string (re-checked only when the writer allows more digits); a plain `bytes` writer is read as
   * unscaled bytes at the reader's scale. A different scale is incompatible: rescaling would
   * invent or drop digits.
   */
  protected override _resolve(writer: Type): ((value: unknown) => unknown) | undefined {
    if (writer instanceof DecimalType) {
      if (writer.scale !== this.scale) return undefined;
      if (writer.precision <= this.precision) return (value) => value;
      return (value) => {
        parseCanonicalDecimal(value, this.scale, this.precision);
        return value;
      };
    }
    if (writer.typeName === this.underlyingType.typeName && writer.typeName === 'bytes') {
      return (value) => this._fromValue(value as Buffer);
    }
    return undefined;
  }

  protected override _export(schema: Schema): void {
    const attrs = schema as unknown as Record<string, unknown>;
    attrs.precision = this.precision;
    attrs.scale = this.scale;
  }
}
