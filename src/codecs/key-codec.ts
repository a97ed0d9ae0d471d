import type { Type } from 'avsc';
import { OrderlakeError, isOrderlakeError } from '../errors.js';
import { parseAvroType } from './avro-type.js';
import { CONFLUENT_HEADER_SIZE, frameConfluent } from './confluent-frame.js';
import { keySubject } from './schema-registry.js';
import type { SchemaRegistry } from './schema-registry.js';

/** A decoded Kafka key: a plain object (CRM record keys), a string, or null for a missing key. */
export type DecodedKey = string | Record<string, unknown> | null;

/**
 * Kafka keys of the source topics: CRM keys are Confluent-framed Avro records (`{"order_id"}`,
 * `{"order_id","line_no"}`, `{"case_id"}`), WMS and TMS keys plain UTF-8 strings. Keys are
 * informational (the merge never reads them), so decoding never throws.
 */
export interface KeyCodec {
  /** A string as UTF-8 bytes; an object as an Avro record registered under `<topic>-key`. */
  encodeKey(topic: string, key: string | Record<string, unknown>): Promise<Buffer>;
  /** Never throws: a key that cannot be read comes back as its hex string. */
  decodeKey(topic: string, key: Buffer | null | undefined): Promise<DecodedKey>;
  /** Synchronous `decodeKey`; `undefined` only when a framed key's schema id is not cached yet. */
  decodeKeyKnown(topic: string, key: Buffer | null | undefined): DecodedKey | undefined;
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function fieldType(topic: string, name: string, value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    return value >= INT32_MIN && value <= INT32_MAX ? 'int' : 'long';
  }
  throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `key field ${name} must be a string, an integer or a boolean, got ${JSON.stringify(value)}`, {
    context: { topic, field: name },
  });
}

function keyNamespace(topic: string): string {
  return topic
    .split('.')
    .map((part) => {
      const safe = part.replace(/[^A-Za-z0-9_]/g, '_');
      return /^[A-Za-z_]/.test(safe) ? safe : `_${safe}`;
    })
    .join('.');
}

/**
 * The Avro schema of an object key, derived from its fields in their order, as Debezium names
 * its key schemas (`<topic>.Key`): strings, ints (longs beyond 32 bits) and booleans.
 */
export function deriveKeySchema(topic: string, key: Record<string, unknown>): Record<string, unknown> {
  const fields = Object.entries(key).map(([name, value]) => {
    if (!AVRO_NAME.test(name)) {
      throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `key field name ${JSON.stringify(name)} is not a valid Avro name`, {
        context: { topic, field: name },
      });
    }
    return { name, type: fieldType(topic, name, value) };
  });
  if (fields.length === 0) {
    throw new OrderlakeError('OL_ERR_CODEC_ENCODE', 'an object key needs at least one field', { context: { topic } });
  }
  return { type: 'record', name: 'Key', namespace: keyNamespace(topic), fields };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function plainKey(value: unknown, raw: Buffer): DecodedKey {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return { ...(value as Record<string, unknown>) };
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return raw.toString('hex');
}

/** Encodes and decodes Kafka keys against `registry`; see {@link KeyCodec}. */
export function createKeyCodec(options: { registry: SchemaRegistry }): KeyCodec {
  const { registry } = options;
  const encoders = new Map<string, { id: number; type: Type }>();
  const pendingEncoders = new Map<string, Promise<{ id: number; type: Type }>>();
  /** `null`: the id is known to be unreadable (not registered, not a valid schema). */
  const readers = new Map<number, Type | null>();
  const pendingReaders = new Map<number, Promise<void>>();

  function encoderFor(topic: string, key: Record<string, unknown>): Promise<{ id: number; type: Type }> {
    const schema = deriveKeySchema(topic, key);
    const cacheKey = `${topic}\u0000${JSON.stringify(schema)}`;
    const cached = encoders.get(cacheKey);
    if (cached) return Promise.resolve(cached);
    let pending = pendingEncoders.get(cacheKey);
    if (!pending) {
      pending = (async () => {
        const type = parseAvroType(schema);
        let id: number;
        try {
          id = await registry.register(keySubject(topic), JSON.stringify(schema));
        } catch (err) {
          if (isOrderlakeError(err)) throw err;
          throw new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', `key schema registration failed: ${(err as Error).message}`, {
            cause: err,
            context: { topic },
          });
        }
        const entry = { id, type };
        encoders.set(cacheKey, entry);
        return entry;
      })().finally(() => pendingEncoders.delete(cacheKey));
      pendingEncoders.set(cacheKey, pending);
    }
    return pending;
  }

  function loadReader(id: number): Promise<void> {
    let pending = pendingReaders.get(id);
    if (!pending) {
      pending = (async () => {
        try {
          readers.set(id, parseAvroType(JSON.parse(await registry.getSchemaById(id))));
        } catch (err) {
          if (!(isOrderlakeError(err) && err.retriable)) readers.set(id, null);
        }
      })().finally(() => pendingReaders.delete(id));
      pendingReaders.set(id, pending);
    }
    return pending;
  }

  function decodeKeyKnown(_topic: string, key: Buffer | null | undefined): DecodedKey | undefined {
    if (key === null || key === undefined) return null;
    if (key.length >= CONFLUENT_HEADER_SIZE && key[0] === 0) {
      const reader = readers.get(key.readUInt32BE(1));
      if (reader === undefined) return undefined;
      if (reader === null) return key.toString('hex');
      try {
        const { value, offset } = reader.decode(key, CONFLUENT_HEADER_SIZE);
        return offset === key.length ? plainKey(value, key) : key.toString('hex');
      } catch {
        return key.toString('hex');
      }
    }
    try {
      return utf8.decode(key);
    } catch {
      return key.toString('hex');
    }
  }

  return {
    async encodeKey(topic, key) {
      if (typeof key === 'string') return Buffer.from(key, 'utf8');
      const { id, type } = await encoderFor(topic, key);
      try {
        return frameConfluent(id, type.toBuffer(key));
      } catch (err) {
        throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `key does not encode: ${(err as Error).message}`, { cause: err, context: { topic } });
      }
    },
    async decodeKey(topic, key) {
      const known = decodeKeyKnown(topic, key);
      if (known !== undefined || !key) return known ?? null;
      await loadReader(key.readUInt32BE(1));
      return decodeKeyKnown(topic, key) ?? key.toString('hex');
    },
    decodeKeyKnown,
  };
}
