/**
 * The codec stage: Avro schemas of `schemas/`, the Confluent wire format, schema registries
 * (HTTP and embedded), exact decimals, and the value and key codecs built on them.
 */
export { parseAvroType, typeFingerprint } from './avro-type.js';
export { createAvroDecoder } from './avro-decoder.js';
export type { AvroDecoder, AvroDecoderOptions } from './avro-decoder.js';
export { createAvroEncoder } from './avro-encoder.js';
export type { AvroEncoder, AvroEncoderOptions } from './avro-encoder.js';
export { CONFLUENT_HEADER_SIZE, frameConfluent, parseConfluentFrame, readSchemaId } from './confluent-frame.js';
export {
  bigIntToBytes,
  bytesToBigInt,
  decodeDecimal,
  encodeDecimal,
  formatUnscaled,
  isCanonicalDecimal,
  parseCanonicalDecimal,
} from './decimal.js';
export { DecimalType } from './decimal-logical-type.js';
export { createHttpSchemaRegistry } from './http-schema-registry.js';
export type { HttpSchemaRegistryOptions } from './http-schema-registry.js';
export { createKeyCodec, deriveKeySchema } from './key-codec.js';
export type { DecodedKey, KeyCodec } from './key-codec.js';
export { createLocalSchemaRegistry } from './local-schema-registry.js';
export { keySubject, valueSubject } from './schema-registry.js';
export type { SchemaRegistry } from './schema-registry.js';
export { createSchemaSet, loadSchemas } from './schema-set.js';
export type { AvroSchema, SchemaSet, SchemaSource } from './schema-set.js';
