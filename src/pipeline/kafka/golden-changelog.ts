import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Type } from 'avsc';
import type { Logger } from 'pino';
import { PACKAGE_ROOT } from '../../config.js';
import { frameConfluent, parseAvroType, parseConfluentFrame, valueSubject, type SchemaRegistry } from '../../codecs/index.js';
import { GOLDEN_BODY_FIELDS, type GoldenView } from '../../golden/index.js';
import { OrderlakeError } from '../../errors.js';
import { withRetry, type RetryOptions } from '../../retry.js';
import type { KafkaProducer, ProducedMessage } from '../../sources/kafka/index.js';

/**
 * The changelog's value schema. Not in `schemas/` itself: every `*.avsc` there is a source
 * system's writer schema, numbered 1..n by name in embedded mode (a new file would renumber the
 * schemas after it), and `ORDERLAKE_SCHEMAS_DIR` replaces that folder with the deployment's own.
 */
export const GOLDEN_CHANGELOG_SCHEMA_FILE = path.join(PACKAGE_ROOT, 'schemas', 'produced', 'orderlake.golden.avsc');

/**
 * How a batch's records are re-sent before its acknowledgement fails: about ten minutes, as the
 * link stage forwards, enough to ride out a broker restart or a leader election.
 */
const SEND_RETRY = { retries: 60, baseMs: 200, maxMs: 10_000 };

/** One record of the changelog topic, as its Avro schema has it. */
export interface GoldenChangeRecord {
  order_id: string;
  version: number;
  deleted: boolean;
  changed_fields: string[];
  /** null for a delete. */
  view: GoldenView | null;
}

/** A version of an order to publish: a `ViewChange` fits. */
export interface GoldenVersion {
  orderId: string;
  version: number;
  /** null: deleted by this version. */
  view: GoldenView | null;
  changedFields: readonly string[];
}

/**
 * The golden changelog: every version of every golden view, and every delete, as one Avro record
 * (Confluent wire format, schema registered under `<topic>-value`) keyed by order id on a compacted
 * topic. The merge owner publishes after the change is decided; a batch's offsets wait for its
 * records' acknowledgement, so a crash re-delivers rather than loses.
 */
export interface GoldenChangelog {
  readonly topic: string;
  /** Reads the schema file and registers it under `<topic>-value`: before the first `publish`. */
  start(): Promise<void>;
  /**
   * The record of one version, keyed by order id: encoded by the caller as it merges (slice by
   * slice, so a large batch does not hold the event loop), sent with `publish`.
   */
  encode(version: GoldenVersion): ProducedMessage;
  /**
   * Sends the records once `stored` has resolved (the batch's lake rows are in ClickHouse: a
   * takeover then restores at least these versions, so a published version is never numbered
   * again) and every earlier publish of the same merge partition has settled (an order's records
   * reach the topic in version order even when a send has to be retried). Retried in place (the
   * merge has moved on: re-reading the batch would not make these versions again); resolves once
   * Kafka acknowledged all of them; rejects after the retries, or without sending when `stored`
   * rejects.
   */
  publish(partition: number, records: readonly ProducedMessage[], stored?: Promise<void>): Promise<void>;
  /**
   * Reads a record back, as any consumer of the topic would: the frame's schema id, that writer
   * schema from the registry (cached), resolved to the changelog schema. `OL_ERR_CODEC_*` when the
   * bytes are not a changelog record.
   */
  decode(value: Buffer): Promise<GoldenChangeRecord>;
}

/** The record of one version; `changedFields` is what the store worked out (all fields for a delete). */
export function toGoldenChangeRecord(version: GoldenVersion): GoldenChangeRecord {
  return {
    order_id: version.orderId,
    version: version.version,
    deleted: version.view === null,
    changed_fields: [...version.changedFields],
    view: version.view,
  };
}

/** Every top-level field of the view: what a re-published version lists, its predecessor being unknown. */
export function allViewFields(): string[] {
  return [...GOLDEN_BODY_FIELDS];
}

/** The changelog schema, parsed the way orderlake parses every Avro schema, and its compact JSON for the registry. */
export async function loadGoldenChangelogSchema(file = GOLDEN_CHANGELOG_SCHEMA_FILE): Promise<{ type: Type; schemaJson: string }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
    return { type: parseAvroType(parsed), schemaJson: JSON.stringify(parsed) };
  } catch (err) {
    throw new OrderlakeError('OL_ERR_SCHEMA_INVALID', `${file}: not a readable Avro schema: ${(err as Error).message}`, { cause: err, context: { file } });
  }
}

export function createGoldenChangelog(deps: {
  producer: KafkaProducer;
  registry: SchemaRegistry;
  topic: string;
  logger: Logger;
  /** Default: {@link GOLDEN_CHANGELOG_SCHEMA_FILE}. */
  schemaFile?: string;
  /** Re-sends of a failed send; default 60 retries, 200 ms base, 10 s cap (tests inject `sleep`). */
  retry?: Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'sleep'>;
}): GoldenChangelog {
  const { producer, registry, topic, logger } = deps;
  let schema: { type: Type; id: number } | null = null;
  /** The last publish of each merge partition: the next one is sent after it has settled. */
  const tails = new Map<number, Promise<void>>();

  function encode(version: GoldenVersion): ProducedMessage {
    if (schema === null) throw new OrderlakeError('OL_ERR_CODEC_ENCODE', 'the golden changelog schema is not registered yet (start first)', { context: { topic } });
    const record = toGoldenChangeRecord(version);
    try {
      return { key: version.orderId, value: frameConfluent(schema.id, schema.type.toBuffer(record)) };
    } catch (err) {
      throw new OrderlakeError('OL_ERR_CODEC_ENCODE', `golden view of ${version.orderId} v${version.version} does not fit the changelog schema: ${(err as Error).message}`, {
        cause: err,
        context: { topic, orderId: version.orderId },
      });
    }
  }

  /** Writer schema id → how to read its records as the changelog schema (the registered one reads itself). */
  const readers = new Map<number, (body: Buffer) => GoldenChangeRecord>();

  async function decode(value: Buffer): Promise<GoldenChangeRecord> {
    if (schema === null) throw new OrderlakeError('OL_ERR_CODEC_DECODE', 'the golden changelog schema is not registered yet (start first)', { context: { topic } });
    const own = schema;
    const { schemaId, body } = parseConfluentFrame(value, { topic });
    let read = readers.get(schemaId);
    if (read === undefined) {
      if (schemaId === own.id) {
        read = (b) => own.type.fromBuffer(b) as GoldenChangeRecord;
      } else {
        const writer = parseAvroType(JSON.parse(await registry.getSchemaById(schemaId)));
        const resolver = own.type.createResolver(writer);
        read = (b) => own.type.fromBuffer(b, resolver) as GoldenChangeRecord;
      }
      readers.set(schemaId, read);
    }
    try {
      return read(body);
    } catch (err) {
      throw new OrderlakeError('OL_ERR_CODEC_DECODE', `not a golden changelog record (schema id ${schemaId}): ${(err as Error).message}`, { cause: err, context: { topic } });
    }
  }

  return {
    topic,
    decode,
    async start() {
      const { type, schemaJson } = await loadGoldenChangelogSchema(deps.schemaFile);
      const id = await withRetry(() => registry.register(valueSubject(topic), schemaJson), {
        retries: 5,
        baseMs: 200,
        maxMs: 5000,
        onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, subject: valueSubject(topic) }, 'registering the golden changelog schema failed; retrying'),
      });
      schema = { type, id };
      logger.info({ topic, subject: valueSubject(topic), schemaId: id }, 'golden changelog schema registered');
    },
    encode,
    publish(partition, records, stored = Promise.resolve()) {
      if (records.length === 0) return stored;
      const messages = [...records];
      const previous = tails.get(partition) ?? Promise.resolve();
      const sent = Promise.all([previous.catch(() => undefined), stored])
        .then(() =>
          withRetry(() => producer.sendBatch([{ topic, messages }], { acks: 'all' }), {
            ...(deps.retry ?? SEND_RETRY),
            isRetriable: () => true,
            onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, partition, records: messages.length }, 'publishing golden versions failed; retrying'),
          }),
        );
      tails.set(partition, sent);
      const forget = () => {
        if (tails.get(partition) === sent) tails.delete(partition);
      };
      sent.then(forget, forget);
      return sent;
    },
  };
}
