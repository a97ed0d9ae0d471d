import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalSchemaRegistry, frameConfluent, loadSchemas, readSchemaId, type SchemaRegistry, type SchemaSet } from '../../../src/codecs/index.js';
import { ERROR_CODES, isOrderlakeError, OrderlakeError } from '../../../src/errors.js';
import { createGoldenStore, createShipmentLinker, routeEvent } from '../../../src/golden/index.js';
import { createNormalizer, loadPipelines, type CanonicalEvent, type Normalizer, type Pipeline, type SourcePosition } from '../../../src/normalize/index.js';
import type { IngestOutcome } from '../../../src/pipeline/ingest.js';
import { AVRO_HEADER_SIZE, decodeEventMessage, decodeLinkMessage, encodeEventMessage, encodeLinkMessage } from '../../../src/pipeline/internal-messages.js';
import { createMergeStage, toLakeRow, type MergeSink } from '../../../src/pipeline/merge-stage.js';
import { toGoldenRow } from '../../../src/pipeline/golden-row.js';
import { createKafkaMergeWorker } from '../../../src/pipeline/kafka/merge-worker.js';
import { createKafkaLinkWorker } from '../../../src/pipeline/kafka/link-worker.js';
import { dlqRecord, DLQ_MAX_COPIED_BYTES } from '../../../src/pipeline/kafka/ingest-worker.js';
import { generateScenario, TOPICS } from '../../../src/simulator/index.js';
import { DEAD_LETTER_ENCODING, GOLDEN_ENCODING, LAKE_ENCODING, type DeadLetterRow } from '../../../src/sinks/index.js';
import type { ConsumedMessage, ConsumerGroup, ConsumerGroupSpec, KafkaProducer } from '../../../src/sources/kafka/index.js';
import {
  badJsonArb,
  badMagicArb,
  encodeLines,
  fuzzCodec,
  fuzzSeed,
  garbageArb,
  internalMessagesOf,
  mutatedArb,
  noise,
  truncatedArb,
  unknownIdArb,
  withTime,
  zigzagVarint,
  type EncodedRecord,
  type FuzzCodec,
} from '../../helpers/fuzz-inputs.js';

/**
 * Fuzzing the decode path with fast-check: arbitrary bytes, real simulator records mutated or cut
 * short, records of another schema, wrong magic bytes, unknown schema ids, huge messages, null
 * values. Whatever comes in, each stage returns a value or a dead letter with a specific code;
 * nothing throws an unclassified error, and what gets through can be merged and stored.
 *
 * Reproduce a failure with the seed fast-check prints, or run all with ORDERLAKE_FUZZ_SEED=<n>.
 */

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const SEED = fuzzSeed(20_260_611);
const RUNS = 400;
const params = (numRuns = RUNS) => ({ numRuns, seed: SEED });

/** Codes the ingest stage may give a source message. */
const INGEST_CODES = new Set([
  'OL_ERR_CODEC_TRUNCATED',
  'OL_ERR_CODEC_BAD_MAGIC',
  'OL_ERR_CODEC_UNKNOWN_SCHEMA_ID',
  'OL_ERR_CODEC_RESOLUTION',
  'OL_ERR_CODEC_DECODE',
  'OL_ERR_NORMALIZE_DECIMAL',
  'OL_ERR_NORMALIZE_TIMESTAMP',
  'OL_ERR_NORMALIZE_MAPPING',
  'OL_ERR_NORMALIZE_TOMBSTONE',
  'OL_ERR_NO_PIPELINE',
]);

const SOURCE_TOPICS = Object.values(TOPICS);
const T0 = Date.UTC(2026, 5, 1);

let schemas: SchemaSet;
let registry: SchemaRegistry;
let pipelines: Pipeline[];
let normalizer: Normalizer;
let codec: FuzzCodec;
/** Valid encoded records of the simulator, by topic. */
const records = new Map<string, EncodedRecord[]>();
let allRecords: EncodedRecord[];
/** Canonical events of those records, with positions. */
let events: Array<{ event: CanonicalEvent; position: SourcePosition }>;
let eventMessages: Buffer[];
let linkMessages: Buffer[];

beforeAll(async () => {
  schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
  registry = createLocalSchemaRegistry(schemas);
  pipelines = await loadPipelines(path.join(REPO_ROOT, 'pipelines'), { schemas });
  normalizer = createNormalizer(pipelines);
  codec = fuzzCodec(registry, schemas, pipelines);
  const lines = generateScenario({ seed: 11, orders: 40, startTime: T0, duplicateRate: 0, shuffle: 'none', wmsV1Share: 0.5 });
  allRecords = await encodeLines(codec.encoder, lines);
  for (const r of allRecords) records.set(r.topic, [...(records.get(r.topic) ?? []), r]);
  events = [];
  for (const [i, r] of allRecords.entries()) {
    const position: SourcePosition = { topic: r.topic, partition: i % 3, offset: String(i), timestamp: T0 + i };
    const event = normalizer.normalize(r.topic, r.line.value, position);
    if (event !== null) events.push({ event, position });
  }
  eventMessages = [];
  linkMessages = [];
  for (const { event, position } of events) {
    const out = internalMessagesOf(event, position);
    eventMessages.push(...out.events);
    linkMessages.push(...out.links);
  }
  expect(SOURCE_TOPICS.every((t) => (records.get(t)?.length ?? 0) > 0)).toBe(true);
  expect(linkMessages.length).toBeGreaterThan(0);
  console.log(`[decode-fuzz] seed ${SEED} (ORDERLAKE_FUZZ_SEED to change), ${allRecords.length} simulator records, ${eventMessages.length} event and ${linkMessages.length} link messages`);
});

/**
 * The checks every outcome must pass: a dead letter has a specific code from the table and a
 * reason; an event can be merged, and its lake row, golden row and internal message are valid.
 */
function expectSound(outcome: IngestOutcome): void {
  if (outcome.type === 'dead') {
    expect(INGEST_CODES.has(outcome.deadLetter.code), outcome.deadLetter.code).toBe(true);
    expect(outcome.deadLetter.reason.length).toBeGreaterThan(0);
    expect(DEAD_LETTER_ENCODING.check(outcome.deadLetter)).toBeUndefined();
    return;
  }
  if (outcome.type === 'event') expectMergeable(outcome.event, outcome.position);
}

/** What the link and merge stages will do with an event must not throw, and its rows must fit. */
function expectMergeable(event: CanonicalEvent, position: SourcePosition): void {
  const store = createGoldenStore({ now: () => T0 });
  const routed = routeEvent(event, T0);
  const linker = createShipmentLinker({ maxPending: 10, onOverflow: () => undefined });
  for (const input of routed.link) linker.accept(input);
  for (const r of routed.direct) {
    expect(LAKE_ENCODING.check(toLakeRow({ orderId: r.orderId, event: r.event, position, ownerPartition: 0 }, T0, 1))).toBeUndefined();
  }
  for (const change of store.applyBatch(routed.direct)) {
    expect(GOLDEN_ENCODING.check(toGoldenRow(change.orderId, change.view, change.version, T0, 0))).toBeUndefined();
  }
  // The internal topics carry it and read it back.
  const out = internalMessagesOf(event, position);
  for (const m of out.events) decodeEventMessage(m);
  for (const m of out.links) decodeLinkMessage(m);
}

/** Normalize on its own: a value or an `OrderlakeError` it raised itself (no wrapped TypeError). */
function expectClassifiedNormalize(topic: string, record: unknown): void {
  try {
    normalizer.normalize(topic, record, { topic, partition: 0, offset: '0', timestamp: T0 });
  } catch (err) {
    expect(isOrderlakeError(err)).toBe(true);
    expect((err as OrderlakeError).cause, `unclassified: ${String((err as OrderlakeError).cause)}`).toBeUndefined();
  }
}

const topicArb = fc.constantFrom(...SOURCE_TOPICS);

describe('source topics: decode + normalize never throw an unclassified error', () => {
  it('arbitrary bytes', async () => {
    await fc.assert(fc.asyncProperty(topicArb, garbageArb, async (topic, bytes) => expectSound(await codec.ingest(topic, bytes))), params());
  });

  it('real records mutated after the header: a value that merges, or a dead letter', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SOURCE_TOPICS).chain((topic) => fc.tuple(fc.constant(topic), mutatedArb(records.get(topic)!.map((r) => r.value), 5))),
        async ([topic, bytes]) => {
          const outcome = await codec.ingest(topic, bytes);
          const label = outcome.type === 'dead' ? outcome.deadLetter.code : outcome.type;
          seen.set(label, (seen.get(label) ?? 0) + 1);
          expectSound(outcome);
        },
      ),
      params(3000),
    );
    console.log('[decode-fuzz] mutated records:', Object.fromEntries(seen));
    // Both sides must be reached, or the property says nothing.
    expect(seen.get('event') ?? 0).toBeGreaterThan(0);
    expect(seen.get('OL_ERR_CODEC_DECODE') ?? 0).toBeGreaterThan(0);
  });

  it('real records with the header mutated: bad magic, truncated, unknown id or another schema', async () => {
    await fc.assert(
      fc.asyncProperty(topicArb, mutatedArb(allRecords.map((r) => r.value), 0), async (topic, bytes) => expectSound(await codec.ingest(topic, bytes))),
      params(1000),
    );
  });

  it('records truncated anywhere are dead letters: OL_ERR_CODEC_TRUNCATED inside the header, OL_ERR_CODEC_DECODE after it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SOURCE_TOPICS).chain((topic) => fc.tuple(fc.constant(topic), truncatedArb(records.get(topic)!.map((r) => r.value)))),
        async ([topic, bytes]) => {
          const outcome = await codec.ingest(topic, bytes);
          expect(outcome.type).toBe('dead');
          if (outcome.type === 'dead') expect(outcome.deadLetter.code).toBe(bytes.length < 5 ? 'OL_ERR_CODEC_TRUNCATED' : 'OL_ERR_CODEC_DECODE');
        },
      ),
      params(),
    );
  });

  it('wrong magic bytes and unknown schema ids', async () => {
    await fc.assert(
      fc.asyncProperty(topicArb, badMagicArb, async (topic, bytes) => {
        const outcome = await codec.ingest(topic, bytes);
        expect(outcome.type === 'dead' && outcome.deadLetter.code).toBe('OL_ERR_CODEC_BAD_MAGIC');
      }),
      params(),
    );
    await fc.assert(
      fc.asyncProperty(topicArb, unknownIdArb, async (topic, bytes) => {
        const outcome = await codec.ingest(topic, bytes);
        expect(outcome.type === 'dead' && outcome.deadLetter.code).toBe('OL_ERR_CODEC_UNKNOWN_SCHEMA_ID');
      }),
      params(),
    );
  });

  it('a valid record of another schema on a topic is OL_ERR_CODEC_RESOLUTION', async () => {
    // WMS v1 and v2 share a topic on purpose (v2 reads v1): every other pairing must be refused.
    const family = (schema: string) => (schema.startsWith('wms.') ? 'wms' : schema);
    await fc.assert(
      fc.asyncProperty(topicArb, fc.constantFrom(...allRecords), async (topic, record) => {
        const ownSchema = records.get(topic)![0]!.schema;
        fc.pre(family(record.schema) !== family(ownSchema));
        const outcome = await codec.ingest(topic, record.value);
        expect(outcome.type === 'dead' && outcome.deadLetter.code).toBe('OL_ERR_CODEC_RESOLUTION');
      }),
      params(),
    );
  });

  it('null values: a tombstone where the pipeline allows them, else OL_ERR_NORMALIZE_TOMBSTONE; null keys change nothing', async () => {
    for (const topic of SOURCE_TOPICS) {
      const outcome = await codec.ingest(topic, null, null);
      const allows = pipelines.find((p) => p.topic === topic)!.tombstones === 'allow';
      if (allows) expect(outcome.type).toBe('tombstone');
      else expect(outcome.type === 'dead' && outcome.deadLetter.code).toBe('OL_ERR_NORMALIZE_TOMBSTONE');
      const good = records.get(topic)![0]!;
      expect((await codec.ingest(topic, good.value, null)).type).toBe('event');
    }
    const unknown = await codec.ingest('nobody.reads.this', records.get(TOPICS.tms)![0]!.value);
    expect(unknown.type === 'dead' && unknown.deadLetter.code).toBe('OL_ERR_NO_PIPELINE');
  });

  it('huge messages: a valid record followed by a megabyte, or a megabyte of noise behind a valid header', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...allRecords), fc.integer({ min: 1, max: 2 ** 30 }), async (record, seed) => {
        const trailing = await codec.ingest(record.topic, Buffer.concat([record.value, noise(1_000_000, seed)]));
        expect(trailing.type === 'dead' && trailing.deadLetter.code).toBe('OL_ERR_CODEC_DECODE');
        const framed = frameConfluent(readSchemaId(record.value), noise(1_000_000, seed));
        expectSound(await codec.ingest(record.topic, framed));
      }),
      params(40),
    );
  });

  it('an array block claiming more items than there are bytes is refused before it is allocated', async () => {
    const wms = records.get(TOPICS.wms)!.find((r) => r.schema === 'wms.fulfillment.v2')!;
    // event_id, event_type, occurred_at, warehouse_id, fulfillment_id, external_order_no: all empty/0, then the lines count.
    for (const count of [1_000_000n, 100_000_000n, 2n ** 31n - 1n, -(2n ** 40n), 2n ** 62n]) {
      const body = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0]), zigzagVarint(count)]);
      const outcome = await codec.ingest(TOPICS.wms, frameConfluent(readSchemaId(wms.value), body));
      expect(outcome.type === 'dead' && outcome.deadLetter.code, String(count)).toBe('OL_ERR_CODEC_DECODE');
    }
  });

  it('a timestamp no view can render (beyond year 9999) is OL_ERR_NORMALIZE_TIMESTAMP, not an exception in the merge', async () => {
    const wms = records.get(TOPICS.wms)![0]!;
    const crm = records.get(TOPICS.orders)![0]!;
    for (const ms of [9e15, -9e15, 253_402_300_800_000]) {
      const w = await codec.ingest(wms.topic, await codec.encoder.encode(wms.topic, wms.schema, { ...wms.line.value, occurred_at: ms }));
      expect(w.type === 'dead' && w.deadLetter.code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
      const value = structuredClone(crm.line.value) as { source: { ts_ms: number } };
      value.source.ts_ms = ms;
      const c = await codec.ingest(crm.topic, await codec.encoder.encode(crm.topic, crm.schema, value));
      expect(c.type === 'dead' && c.deadLetter.code).toBe('OL_ERR_NORMALIZE_TIMESTAMP');
    }
  });

  it('normalize alone: records of any shape give an event or an error it classified itself', () => {
    const recordArb = fc.oneof(
      fc.anything(),
      fc.constantFrom(...allRecords).chain((r) =>
        fc.record({ base: fc.constant(r.line.value as Record<string, unknown>), key: fc.constantFrom(...Object.keys(r.line.value!)), value: fc.anything() }).map(({ base, key, value }) => ({ ...base, [key]: value })),
      ),
    );
    fc.assert(fc.property(topicArb, recordArb, (topic, record) => expectClassifiedNormalize(topic, record)), params(2000));
  });
});

describe('internal topics: the decoders the link and merge stages use', () => {
  /** Decodes with `decode`; a value must be mergeable, an error must be OL_ERR_INTERNAL_MESSAGE. */
  function expectInternal(decode: (b: Buffer) => { position?: SourcePosition }, bytes: Buffer, merge: (m: never) => void): 'ok' | 'dead' {
    let message;
    try {
      message = decode(bytes);
    } catch (err) {
      expect(isOrderlakeError(err) && err.code).toBe('OL_ERR_INTERNAL_MESSAGE');
      return 'dead';
    }
    merge(message as never);
    return 'ok';
  }
  const mergeEvent = (m: { orderId: string; event: CanonicalEvent; position: SourcePosition }) => {
    expect(LAKE_ENCODING.check(toLakeRow({ ...m, ownerPartition: 0 }, T0, 1))).toBeUndefined();
    for (const c of createGoldenStore({ now: () => T0 }).applyBatch([m])) {
      expect(GOLDEN_ENCODING.check(toGoldenRow(c.orderId, c.view, c.version, T0, 0))).toBeUndefined();
    }
  };
  const mergeLink = (m: { input: Parameters<ReturnType<typeof createShipmentLinker>['accept']>[0] }) => {
    const out = createShipmentLinker({ maxPending: 10, onOverflow: () => undefined }).accept(m.input);
    for (const r of out.resolved) createGoldenStore({ now: () => T0 }).applyBatch([r]);
  };
  const bytesArb = (messages: () => Buffer[]) =>
    fc.oneof(
      garbageArb,
      badMagicArb,
      fc.constant(0).chain(() => mutatedArb(messages(), 0)),
      fc.constant(0).chain(() => mutatedArb(messages(), AVRO_HEADER_SIZE)),
      fc.constant(0).chain(() => truncatedArb(messages())),
      fc.constant(0).chain(() => badJsonArb(events[0]!.event, events[0]!.position)),
      unknownIdArb,
    );

  it('events topic: every input decodes to a mergeable message or is OL_ERR_INTERNAL_MESSAGE', () => {
    const seen = { ok: 0, dead: 0 };
    fc.assert(fc.property(bytesArb(() => eventMessages), (bytes) => void seen[expectInternal(decodeEventMessage, bytes, mergeEvent)]++), params(3000));
    console.log('[decode-fuzz] events topic:', seen);
    expect(seen.ok).toBeGreaterThan(0);
  });

  it('links topic: every input decodes to a message the linker takes or is OL_ERR_INTERNAL_MESSAGE', () => {
    const seen = { ok: 0, dead: 0 };
    fc.assert(fc.property(bytesArb(() => linkMessages), (bytes) => void seen[expectInternal(decodeLinkMessage, bytes, mergeLink)]++), params(3000));
    console.log('[decode-fuzz] links topic:', seen);
    expect(seen.ok).toBeGreaterThan(0);
  });

  it('the other topic’s messages, source records, huge and impossible values are refused', () => {
    for (const bytes of [...linkMessages.slice(0, 20), ...allRecords.slice(0, 20).map((r) => r.value), Buffer.alloc(0)]) {
      expect(() => decodeEventMessage(bytes)).toThrow(expect.objectContaining({ code: 'OL_ERR_INTERNAL_MESSAGE' }));
    }
    for (const bytes of [...eventMessages.slice(0, 20), ...allRecords.slice(0, 20).map((r) => r.value)]) {
      expect(() => decodeLinkMessage(bytes)).toThrow(expect.objectContaining({ code: 'OL_ERR_INTERNAL_MESSAGE' }));
    }
    const huge = Buffer.concat([eventMessages[0]!.subarray(0, AVRO_HEADER_SIZE), noise(1_000_000, 3)]);
    expect(() => decodeEventMessage(huge)).toThrow(expect.objectContaining({ code: 'OL_ERR_INTERNAL_MESSAGE' }));
    // Avro that decodes but holds what normalize never writes: the merge would throw on it.
    const { event, position } = events.find((e) => e.event.kind === 'wms')!;
    const orderId = (event as { order_id: string }).order_id;
    for (const bad of [
      encodeEventMessage({ orderId, event: withTime(event, 9e15), position }),
      encodeEventMessage({ orderId, event, position: { ...position, partition: -1 } }),
      encodeEventMessage({ orderId, event, position: { ...position, offset: '12a' } }),
    ]) {
      expect(() => decodeEventMessage(bad)).toThrow(expect.objectContaining({ code: 'OL_ERR_INTERNAL_MESSAGE' }));
    }
    // JSON v1 written by an older version stays readable.
    expect(decodeEventMessage(encodeEventMessage({ orderId, event, position }, 'json'))).toEqual({ v: 1, orderId, event, position });
  });
});

/** A consumer-group runner stand-in that hands batches to the worker's `eachBatch`, as the real one does. */
function capturingConsumer(): { consumer: ConsumerGroup; spec: () => ConsumerGroupSpec } {
  let spec: ConsumerGroupSpec | undefined;
  return {
    consumer: { run: async (s) => void (spec = s), commit: async () => undefined, assignment: () => ({}), stop: async () => undefined },
    spec: () => spec!,
  };
}

/** A merge sink that checks rows as the ClickHouse sink does (it throws for a row that does not fit). */
function checkingSink(): MergeSink & { dead: DeadLetterRow[]; lake: number } {
  const sink = {
    dead: [] as DeadLetterRow[],
    lake: 0,
    writeEvents(rows: readonly Parameters<typeof LAKE_ENCODING.check>[0][]) {
      for (const r of rows) if (LAKE_ENCODING.check(r)) throw new OrderlakeError('OL_ERR_SINK_ROW_INVALID', LAKE_ENCODING.check(r)!);
      sink.lake += rows.length;
    },
    writeGolden(rows: readonly Parameters<typeof GOLDEN_ENCODING.check>[0][]) {
      for (const r of rows) if (GOLDEN_ENCODING.check(r)) throw new OrderlakeError('OL_ERR_SINK_ROW_INVALID', GOLDEN_ENCODING.check(r)!);
    },
    writeDeadLetters(rows: DeadLetterRow[]) {
      sink.dead.push(...rows);
    },
    onBeforeFlush: () => undefined,
    onFlushed: () => undefined,
  };
  return sink;
}

describe('the link and merge workers go on past any message', () => {
  const consumed = (value: Buffer | null, i: number, key: Buffer | null = null): ConsumedMessage => ({ offset: String(i), timestamp: T0, key, value, headers: {} });
  /** Good messages with fuzzed ones (null values, null keys included) between them. */
  const mixArb = (good: () => Buffer[]) =>
    fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.constant(0).chain(() => fc.constantFrom(...good())).map((value) => ({ value, bad: false })) },
        { weight: 1, arbitrary: fc.constant({ value: null, bad: true }) },
        { weight: 3, arbitrary: fc.oneof(garbageArb, badMagicArb, fc.constant(0).chain(() => truncatedArb(good()))).map((value) => ({ value, bad: true })) },
      ),
      { minLength: 1, maxLength: 30 },
    );

  it('merge worker: every unreadable message (tombstones too) is one dead letter of stage merge, every good one is merged', async () => {
    await fc.assert(
      fc.asyncProperty(mixArb(() => eventMessages), fc.boolean(), async (mix, nullKeys) => {
        const sink = checkingSink();
        const store = createGoldenStore({ now: () => T0 });
        const merge = createMergeStage({ store, sink, now: () => T0 });
        const dead: DeadLetterRow[] = [];
        const { consumer, spec } = capturingConsumer();
        const worker = createKafkaMergeWorker({
          consumer,
          logger: pino({ level: 'silent' }),
          store,
          merge,
          groupId: 'g',
          topic: 'ol.events',
          rebuild: async () => [],
          flush: async () => undefined,
          deadLetters: (rows) => dead.push(...rows),
          now: () => T0,
        });
        await worker.start();
        await spec().onAssign!({ 'ol.events': [0] });
        const messages = mix.map((m, i) => consumed(m.value, i, nullKeys ? null : Buffer.from(`k${i}`)));
        await spec().eachBatch({ topic: 'ol.events', partition: 0, messages });
        const bad = mix.flatMap((m, i) => (m.bad ? [String(i)] : []));
        expect(dead.map((d) => d.offset)).toEqual(bad);
        for (const d of dead) expect(d).toMatchObject({ code: 'OL_ERR_INTERNAL_MESSAGE', stage: 'merge', topic: 'ol.events', partition: 0 });
        expect(sink.lake).toBe(mix.length - bad.length);
      }),
      params(200),
    );
  });

  it('link worker: every unreadable message (tombstones too) is one dead letter of stage link, the rest are linked', async () => {
    await fc.assert(
      fc.asyncProperty(mixArb(() => linkMessages), async (mix) => {
        const dead: DeadLetterRow[] = [];
        const sent: unknown[] = [];
        const producer: KafkaProducer = { sendBatch: async (t) => void sent.push(t), close: async () => undefined };
        const { consumer, spec } = capturingConsumer();
        const worker = createKafkaLinkWorker({
          consumer,
          producer,
          logger: pino({ level: 'silent' }),
          linker: createShipmentLinker({ maxPending: 1000, onOverflow: () => undefined }),
          groupId: 'g',
          topics: { events: 'ol.events', links: 'ol.links' },
          deadLetters: (rows) => dead.push(...rows),
          now: () => T0,
        });
        await worker.start();
        const ack = await spec().eachBatch({ topic: 'ol.links', partition: 0, messages: mix.map((m, i) => consumed(m.value, i)) });
        await ack?.acknowledged;
        expect(dead.map((d) => d.offset)).toEqual(mix.flatMap((m, i) => (m.bad ? [String(i)] : [])));
        for (const d of dead) expect(d).toMatchObject({ code: 'OL_ERR_INTERNAL_MESSAGE', stage: 'link', topic: 'ol.links' });
      }),
      params(200),
    );
  });
});

describe('dead-letter topic records', () => {
  it('copy the rejected bytes, but leave out a value too large to fit beside the reason headers', () => {
    const deadLetter = { code: 'OL_ERR_CODEC_BAD_MAGIC', reason: 'magic byte is 7, not 0' } as DeadLetterRow;
    const small = dlqRecord({ offset: '4', timestamp: T0, key: Buffer.from('k'), value: Buffer.from([7, 1]), headers: {} }, deadLetter, 't', 1);
    expect(small).toMatchObject({ key: Buffer.from('k'), value: Buffer.from([7, 1]) });
    expect(small.headers).toMatchObject({ 'orderlake-error-code': 'OL_ERR_CODEC_BAD_MAGIC', 'orderlake-source-offset': '4', 'orderlake-source-partition': '1' });
    const huge = dlqRecord({ offset: '5', timestamp: T0, key: Buffer.from('k'), value: noise(DLQ_MAX_COPIED_BYTES, 1), headers: {} }, deadLetter, 't', 1);
    expect(huge.value).toBeNull();
    expect(huge.headers).toMatchObject({ 'orderlake-value-omitted': String(DLQ_MAX_COPIED_BYTES), 'orderlake-error-code': 'OL_ERR_CODEC_BAD_MAGIC' });
  });
});

it('every code used above is in the error table', () => {
  for (const code of [...INGEST_CODES, 'OL_ERR_INTERNAL_MESSAGE']) expect(ERROR_CODES).toHaveProperty(code);
});
