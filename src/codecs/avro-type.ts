import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { DecimalType } from './decimal-logical-type.js';

/**
 * The one way orderlake turns an Avro schema into an avsc type, for its own schemas and for
 * writer schemas fetched from a registry alike, so both sides agree on value shapes: unions of
 * null and one type unwrapped (`null` or the value), enums as strings, longs as JS numbers,
 * decimals as canonical strings. Only `decimal` is a registered logical type: `uuid` and
 * `timestamp-millis` deliberately stay plain strings and numbers, as the replay format has them.
 */
export function parseAvroType(schema: unknown): Type {
  return avro.Type.forSchema(schema as Schema, {
    wrapUnions: 'auto',
    logicalTypes: { decimal: DecimalType },
    assertLogicalTypes: true,
    omitRecordMethods: true,
  });
}

/**
 * A string that is equal for two types exactly when they encode and decode alike (names,
 * fields, defaults and logical-type attributes included), used to skip writer-to-reader
 * resolution when the writer is the reader.
 */
export function typeFingerprint(type: Type): string {
  return JSON.stringify(type.schema({ exportAttrs: true }));
}
