import type { Type } from 'avsc';
import type { Logger } from 'pino';
import { OrderlakeError, isOrderlakeError } from '../errors.js';
import { DecimalType } from './decimal-logical-type.js';
import { frameConfluent } from './confluent-frame.js';
import { createKeyCodec } from './key-codec.js';
import { valueSubject } from './schema-registry.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { AvroSchema, SchemaSet } from './schema-set.js';

/** Options of {@link createAvroEncoder}. */
export interface AvroEncoderOptions {
  registry: SchemaRegistry;
  schemas: SchemaSet;
  logger?: Logger;
}

/**
 * Encodes plain JSON values (the replay format) into Confluent-framed Avro, as a producer of the
 * source system would: used by replay, the simulator and tests, so that their values take the
 * same decode path as Kafka messages.
 */
export interface AvroEncoder {
  /**
   * Validates `value` against writer schema `writerSchemaName`, registers that schema under
   * `<topic>-value` (once) and returns the framed bytes. A value the schema cannot encode fails
   * with `OL_ERR_CODEC_ENCODE` (`OL_ERR_NORMALIZE_DECIMAL` for a non-canonical decimal), naming
   * the path of the offending field.
   */
  encode(topic: string, writerSchemaName: string, value: unknown): Promise<Buffer>;
  /** Synchronous `encode`; `undefined` while the schema is not yet registered for `topic`. */
  encodeKnown(topic: string, writerSchemaName: string, value: unknown): Buffer | undefined;
  /** Registers `writerSchemaName` under `<topic>-value` (once) and returns its id. */
  schemaIdFor(topic: string, writerSchemaName: string): Promise<number>;
  /** See {@link KeyCodec.encodeKey}. */
  encodeKey(topic: string, key: string | Record<string, unknown>): Promise<Buffer>;
}

interface Violation {
  path: string[];
  value: unknown;
  type: Type;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isDecimalViolation({ value, type }: Violation): boolean {
  if (type instanceof DecimalType) return true;
  const branches = (type as unknown as { types?: Type[] }).types;
  return (
    type.typeName.startsWith('union') &&
    Array.isArray(branches) &&
    branches.some((branch) => branch instanceof DecimalType) &&
    (typeof value === 'string' || typeof value === 'number')
  );
}

function expectation(violation: Violation): string {
  const { type, value } = violation;
  if (type instanceof DecimalType) return `a canonical decimal(${type.precision},${type.scale}) string`;
  const fields = (type as unknown as { fields?: Array<{ name: string }> }).fields;
  if (type.typeName === 'record' && fields && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const declared = new Set(fields.map((field) => field.name));
    const extra = Object.keys(value).filter((name) => !declared.has(name));
    if (extra.length > 0) return `only declared fields (undeclared: ${extra.join(', ')})`;
  }
  const branches = (type as unknown as { types?: Type[] }).types;
  if (type.typeName.startsWith('union') && branches) {
    return `one of ${branches.map((branch) => (branch instanceof DecimalType ? `decimal(${branch.precision},${branch.scale})` : branch.typeName)).join(' | ')}`;
  }
  const symbols = (type as unknown as { symbols?: string[] }).symbols;
  if (type.typeName === 'enum' && symbols) return `one of ${symbols.join(', ')}`;
  return type.typeName;
}

function validate(schema: AvroSchema, value: unknown, topic: string): void {
  let first: Violation | undefined;
  const valid = schema.type.isValid(value, {
    noUndeclaredFields: true,
    errorHook: (path, badValue, type) => {
      first ??= { path, value: badValue, type };
    },
  });
  if (valid) return;
  const violation = first ?? { path: [], value, type: schema.type };
  const where = violation.path.length > 0 ? violation.path.join('.') : '(root)';
  const code = isDecimalViolation(violation) ? 'OL_ERR_NORMALIZE_DECIMAL' : 'OL_ERR_CODEC_ENCODE';
  throw new OrderlakeError(
    code,
    `value does not match writer schema ${schema.name} at ${where}: got ${preview(violation.value)}, expected ${expectation(violation)}`,
    { context: { topic, schema: schema.name, path: where } },
  );
}

/** Creates the encoder; see {@link AvroEncoder}. */
export function createAvroEncoder(options: AvroEncoderOptions): AvroEncoder {
  const { registry, schemas, logger } = options;
  const ids = new Map<string, number>();
  const pending = new Map<string, Promise<number>>();
  const keys = createKeyCodec({ registry });

  function schemaNamed(name: string, topic: string): AvroSchema {
    if (!schemas.has(name)) {
      throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `unknown writer schema ${JSON.stringify(name)}`, { context: { topic, schema: name } });
    }
    return schemas.get(name);
  }

  function schemaIdFor(topic: string, writerSchemaName: string): Promise<number> {
    const cacheKey = `${topic}\u0000${writerSchemaName}`;
    const cached = ids.get(cacheKey);
    if (cached !== undefined) return Promise.resolve(cached);
    let inFlight = pending.get(cacheKey);
    if (!inFlight) {
      inFlight = (async () => {
        const schema = schemaNamed(writerSchemaName, topic);
        let id: number;
        try {
          id = await registry.register(valueSubject(topic), schema.schemaJson);
        } catch (err) {
          const context = { ...(isOrderlakeError(err) ? err.context : {}), topic, schema: writerSchemaName };
          if (isOrderlakeError(err)) {
            throw new OrderlakeError(err.code, err.message, { cause: err.cause, context, retriable: err.retriable });
          }
          throw new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', `registration failed: ${(err as Error).message}`, { cause: err, context });
        }
        ids.set(cacheKey, id);
        logger?.debug({ topic, schema: writerSchemaName, schemaId: id }, 'writer schema registered');
        return id;
      })().finally(() => pending.delete(cacheKey));
      pending.set(cacheKey, inFlight);
    }
    return inFlight;
  }

  function encodeKnown(topic: string, writerSchemaName: string, value: unknown): Buffer | undefined {
    const id = ids.get(`${topic}\u0000${writerSchemaName}`);
    if (id === undefined) return undefined;
    const schema = schemaNamed(writerSchemaName, topic);
    validate(schema, value, topic);
    let body: Buffer;
    try {
      body = schema.type.toBuffer(value);
    } catch (err) {
      throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `value does not encode with ${writerSchemaName}: ${(err as Error).message}`, {
        cause: err,
        context: { topic, schema: writerSchemaName },
      });
    }
    return frameConfluent(id, body);
  }

  return {
    async encode(topic, writerSchemaName, value) {
      const known = encodeKnown(topic, writerSchemaName, value);
      if (known) return known;
      schemaNamed(writerSchemaName, topic);
      await schemaIdFor(topic, writerSchemaName);
      return encodeKnown(topic, writerSchemaName, value) as Buffer;
    },
    encodeKnown,
    schemaIdFor,
    encodeKey: keys.encodeKey,
  };
}
