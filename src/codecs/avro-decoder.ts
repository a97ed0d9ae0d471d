import type { Type } from 'avsc';
import type { Logger } from 'pino';
import { OrderlakeError, isOrderlakeError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { createBlockGuard, type BlockGuard } from './avro-block-guard.js';
import { parseAvroType, typeFingerprint } from './avro-type.js';
import { CONFLUENT_HEADER_SIZE, readSchemaId } from './confluent-frame.js';
import { createKeyCodec } from './key-codec.js';
import type { DecodedKey } from './key-codec.js';
import type { SchemaRegistry } from './schema-registry.js';
import type { SchemaSet } from './schema-set.js';

type Resolver = ReturnType<Type['createResolver']>;

/** Options of {@link createAvroDecoder}. */
export interface AvroDecoderOptions {
  registry: SchemaRegistry;
  /**
   * Reader schema (a name in `schemas`) per topic: writer data is resolved against it, so every
   * version a producer writes reaches normalize in one shape. A topic without a reader is read
   * with its writer schema as is.
   */
  readers: Record<string, string>;
  schemas: SchemaSet;
  logger?: Logger;
}

/** Decodes Confluent-framed Avro values (and keys) of the source topics. */
export interface AvroDecoder {
  /** The decoded record, as plain JSON-shaped data (unions unwrapped, enums as strings). */
  decode(topic: string, value: Buffer): Promise<unknown>;
  /**
   * The synchronous hot path: decodes when the message's writer id is already known for
   * `topic`, else returns `undefined` (then call `decode` once; later messages hit this path).
   * Frame and body errors throw as in `decode`.
   */
  decodeKnown(topic: string, value: Buffer): unknown;
  /** Fetches and resolves writer schema `schemaId` for `topic` ahead of its messages. */
  prepare(topic: string, schemaId: number): Promise<void>;
  /** See {@link KeyCodec.decodeKey}: never throws. */
  decodeKey(topic: string, key: Buffer | null | undefined): Promise<DecodedKey>;
  decodeKeyKnown(topic: string, key: Buffer | null | undefined): DecodedKey | undefined;
}

interface ReadyWriter {
  readonly type: Type;
  /** Absent when the writer is the reader: decoding then skips resolution entirely. */
  readonly resolver: Resolver | undefined;
  /** Refuses impossible array/map block counts before avsc allocates them; null without blocks. */
  readonly guard: BlockGuard | null;
}

interface FailedWriter {
  readonly failure: { code: ErrorCode; message: string; cause: unknown };
}

type WriterEntry = ReadyWriter | FailedWriter;

interface TopicState {
  readonly reader: Type | undefined;
  readonly readerName: string | undefined;
  readonly readerFingerprint: string | undefined;
  readonly writers: Map<number, WriterEntry>;
}

/** The same error with the input's topic (and schema id) added to its context. */
function inContext(err: unknown, code: ErrorCode, context: Record<string, unknown>): OrderlakeError {
  if (isOrderlakeError(err)) {
    return new OrderlakeError(err.code, err.message, {
      cause: err.cause,
      context: { ...err.context, ...context },
      retriable: err.retriable,
    });
  }
  return new OrderlakeError(code, err instanceof Error ? err.message : String(err), { cause: err, context });
}

/**
 * The decode stage. Per topic it caches, by writer schema id, the writer type and its resolver
 * to the topic's reader schema, so after the first message of a writer version a message costs
 * one synchronous avsc read — no Promise, no copy of the body. WMS v1 and v2 bytes both come out
 * in the v2 shape (v1 lacks nothing v2 has no default for).
 */
export function createAvroDecoder(options: AvroDecoderOptions): AvroDecoder {
  const { registry, schemas, logger } = options;
  for (const [topic, name] of Object.entries(options.readers)) {
    if (!schemas.has(name)) {
      throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `reader schema ${name} of topic ${topic} is not in schemas/`, {
        context: { topic, schema: name },
      });
    }
  }
  const readers = new Map(Object.entries(options.readers));
  const topics = new Map<string, TopicState>();
  const writerTypes = new Map<number, Type>();
  const pending = new Map<string, Promise<void>>();
  const keys = createKeyCodec({ registry });

  function topicState(topic: string): TopicState {
    let state = topics.get(topic);
    if (!state) {
      const readerName = readers.get(topic);
      const reader = readerName === undefined ? undefined : schemas.get(readerName).type;
      state = {
        reader,
        readerName,
        readerFingerprint: reader && typeFingerprint(reader),
        writers: new Map(),
      };
      topics.set(topic, state);
    }
    return state;
  }

  function entryFor(state: TopicState, topic: string, schemaId: number, writer: Type): WriterEntry {
    const { reader } = state;
    const guard = createBlockGuard(writer);
    if (!reader) return { type: writer, resolver: undefined, guard };
    if (typeFingerprint(writer) === state.readerFingerprint) return { type: reader, resolver: undefined, guard };
    try {
      return { type: reader, resolver: reader.createResolver(writer), guard };
    } catch (err) {
      logger?.warn({ topic, schemaId, reader: state.readerName, err }, 'writer schema cannot be read with the reader schema');
      return {
        failure: {
          code: 'OL_ERR_CODEC_RESOLUTION',
          message: `writer schema ${schemaId} cannot be read as ${state.readerName}: ${(err as Error).message}`,
          cause: err,
        },
      };
    }
  }

  async function learn(topic: string, schemaId: number): Promise<void> {
    const state = topicState(topic);
    if (state.writers.has(schemaId)) return;
    let writer = writerTypes.get(schemaId);
    if (!writer) {
      let json: string;
      try {
        json = await registry.getSchemaById(schemaId);
      } catch (err) {
        throw inContext(err, 'OL_ERR_REGISTRY_UNAVAILABLE', { topic, schemaId });
      }
      try {
        writer = parseAvroType(JSON.parse(json));
      } catch (err) {
        state.writers.set(schemaId, {
          failure: { code: 'OL_ERR_CODEC_RESOLUTION', message: `writer schema ${schemaId} does not parse: ${(err as Error).message}`, cause: err },
        });
        return;
      }
      writerTypes.set(schemaId, writer);
    }
    state.writers.set(schemaId, entryFor(state, topic, schemaId, writer));
    logger?.debug({ topic, schemaId, reader: state.readerName }, 'writer schema ready');
  }

  function prepare(topic: string, schemaId: number): Promise<void> {
    if (topics.get(topic)?.writers.has(schemaId)) return Promise.resolve();
    const key = `${topic}\u0000${schemaId}`;
    let inFlight = pending.get(key);
    if (!inFlight) {
      inFlight = learn(topic, schemaId).finally(() => pending.delete(key));
      pending.set(key, inFlight);
    }
    return inFlight;
  }

  function decodeKnown(topic: string, value: Buffer): unknown {
    const schemaId = readSchemaId(value, { topic });
    const entry = topicState(topic).writers.get(schemaId);
    if (entry === undefined) return undefined;
    if ('failure' in entry) {
      const { code, message, cause } = entry.failure;
      throw new OrderlakeError(code, message, { cause, context: { topic, schemaId } });
    }
    let result: { value: unknown; offset: number };
    try {
      entry.guard?.(value, CONFLUENT_HEADER_SIZE);
      result = entry.type.decode(value, CONFLUENT_HEADER_SIZE, entry.resolver);
    } catch (err) {
      throw inContext(err, 'OL_ERR_CODEC_DECODE', { topic, schemaId });
    }
    if (result.offset < 0) {
      throw new OrderlakeError('OL_ERR_CODEC_DECODE', `Avro body ends early for writer schema ${schemaId}`, { context: { topic, schemaId } });
    }
    if (result.offset !== value.length) {
      throw new OrderlakeError('OL_ERR_CODEC_DECODE', `${value.length - result.offset} trailing bytes after the Avro body`, {
        context: { topic, schemaId },
      });
    }
    return result.value;
  }

  return {
    async decode(topic, value) {
      const known = decodeKnown(topic, value);
      if (known !== undefined) return known;
      await prepare(topic, readSchemaId(value, { topic }));
      return decodeKnown(topic, value);
    },
    decodeKnown,
    prepare,
    decodeKey: keys.decodeKey,
    decodeKeyKnown: keys.decodeKeyKnown,
  };
}
