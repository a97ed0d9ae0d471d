import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalSchemaRegistry, loadSchemas, parseAvroType, parseConfluentFrame, type SchemaRegistry } from '../../../src/codecs/index.js';
import { createGoldenStore, GOLDEN_BODY_FIELDS, type GoldenView } from '../../../src/golden/index.js';
import type { CanonicalEvent } from '../../../src/normalize/index.js';
import { encodeEventMessage } from '../../../src/pipeline/internal-messages.js';
import { createMergeStage, type MergeSink } from '../../../src/pipeline/merge-stage.js';
import {
  GOLDEN_CHANGELOG_SCHEMA_FILE,
  createGoldenChangelog,
  loadGoldenChangelogSchema,
  type GoldenChangeRecord,
} from '../../../src/pipeline/kafka/golden-changelog.js';
import { createKafkaMergeWorker } from '../../../src/pipeline/kafka/merge-worker.js';
import type { LakeRow, OwnedOrderState } from '../../../src/sinks/index.js';
import type { BatchAck, ConsumerGroup, ConsumerGroupSpec, KafkaProducer, TopicMessages } from '../../../src/sources/kafka/index.js';
import { pino } from 'pino';
import { crmOrder, crmOrderDelete, T0, MINUTE, wms } from '../../helpers/golden-events.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
const CONTRACT_DIR = path.join(REPO_ROOT, 'test/fixtures/contract');
const TOPIC = 'ol.golden';
const logger = pino({ level: 'silent' });

async function registry(): Promise<SchemaRegistry> {
  return createLocalSchemaRegistry(await loadSchemas(path.join(REPO_ROOT, 'schemas')));
}

/** Decodes a changelog value the way a downstream reader does: schema by the frame's id from the registry. */
async function decode(reg: SchemaRegistry, value: Buffer): Promise<GoldenChangeRecord> {
  const { schemaId, body } = parseConfluentFrame(value);
  return parseAvroType(JSON.parse(await reg.getSchemaById(schemaId))).fromBuffer(body) as GoldenChangeRecord;
}

/** A producer that records what it was sent; `fail(n)` makes the next n sends reject. */
function recordingProducer() {
  const sent: TopicMessages[][] = [];
  let failures = 0;
  let hold: Promise<void> | null = null;
  const producer: KafkaProducer = {
    async sendBatch(topicMessages) {
      await new Promise((r) => setImmediate(r));
      if (hold) await hold;
      if (failures > 0) {
        failures--;
        throw new Error('NOT_LEADER_FOR_PARTITION (test)');
      }
      sent.push(topicMessages.map((t) => ({ topic: t.topic, messages: [...t.messages] })));
    },
    close: async () => undefined,
  };
  return {
    producer,
    sent,
    fail: (n: number) => void (failures = n),
    /** Sends wait until the returned function is called (Kafka slow to acknowledge). */
    holdAcks() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    records: () => sent.flatMap((request) => request.flatMap((t) => t.messages)),
  };
}

describe('the golden changelog schema (schemas/produced/orderlake.golden.avsc)', () => {
  it('carries the whole view, field for field, in the view order', async () => {
    const { type } = await loadGoldenChangelogSchema();
    const schema = type.schema() as { fields: Array<{ name: string; type: unknown }> };
    expect(schema.fields.map((f) => f.name)).toEqual(['order_id', 'version', 'deleted', 'changed_fields', 'view']);
    const view = (schema.fields[4]!.type as unknown[])[1] as { fields: Array<{ name: string }> };
    expect(view.fields.map((f) => f.name)).toEqual([...GOLDEN_BODY_FIELDS, 'version', 'updated_at']);
  });

  it('is not among the source schemas, whose local ids it would shift', async () => {
    const schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
    expect(schemas.names()).not.toContain('orderlake.golden');
    expect(GOLDEN_CHANGELOG_SCHEMA_FILE).toBe(path.join(REPO_ROOT, 'schemas', 'produced', 'orderlake.golden.avsc'));
  });

  it('gives back every contract example view exactly, through the Confluent frame and the registry', async () => {
    const reg = await registry();
    const changelog = createGoldenChangelog({ producer: recordingProducer().producer, registry: reg, topic: TOPIC, logger });
    await changelog.start();
    let checked = 0;
    for (const file of readdirSync(CONTRACT_DIR).filter((f) => f.endsWith('.golden.jsonl'))) {
      for (const line of readFileSync(path.join(CONTRACT_DIR, file), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const view = { ...JSON.parse(line), version: 7, updated_at: '2026-11-18T10:00:00.000Z' } as GoldenView;
        const message = changelog.encode({ orderId: view.order_id, version: 7, view, changedFields: ['status', 'sources'] });
        expect(message.key).toBe(view.order_id);
        const record = await decode(reg, message.value!);
        expect(record).toEqual({ order_id: view.order_id, version: 7, deleted: false, changed_fields: ['status', 'sources'], view });
        // The decoded view is the view's JSON, not merely equal after normalization.
        expect(JSON.parse(JSON.stringify(record.view))).toEqual(JSON.parse(line.replace(/}$/, ',"version":7,"updated_at":"2026-11-18T10:00:00.000Z"}')));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('registers under <topic>-value and carries a delete as deleted=true without a view', async () => {
    const reg = await registry();
    const seen: string[] = [];
    const spy: SchemaRegistry = {
      getSchemaById: (id) => reg.getSchemaById(id),
      register: (subject, json) => {
        seen.push(subject);
        return reg.register(subject, json);
      },
    };
    const changelog = createGoldenChangelog({ producer: recordingProducer().producer, registry: spy, topic: TOPIC, logger });
    await changelog.start();
    expect(seen).toEqual([`${TOPIC}-value`]);
    const record = await decode(reg, changelog.encode({ orderId: 'SO-9', version: 4, view: null, changedFields: [...GOLDEN_BODY_FIELDS] }).value!);
    expect(record).toEqual({ order_id: 'SO-9', version: 4, deleted: true, changed_fields: [...GOLDEN_BODY_FIELDS], view: null });
  });

  it('keeps the records of one partition in publish order when a send has to be retried', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const changelog = createGoldenChangelog({
      producer: kafka.producer,
      registry: reg,
      topic: TOPIC,
      logger,
      retry: { retries: 3, baseMs: 1, maxMs: 1, sleep: () => new Promise((r) => setTimeout(r, 20)) },
    });
    await changelog.start();
    const view = (v: number) => ({ ...(JSON.parse(readFileSync(path.join(CONTRACT_DIR, 'six-orders-in-order.golden.jsonl'), 'utf8').split('\n')[0]!) as GoldenView), version: v, updated_at: '2026-11-18T10:00:00.000Z' });
    kafka.fail(1);
    const first = changelog.publish(0, [changelog.encode({ orderId: 'SO-000001', version: 1, view: view(1), changedFields: [] })]);
    const second = changelog.publish(0, [changelog.encode({ orderId: 'SO-000001', version: 2, view: view(2), changedFields: [] })]);
    await Promise.all([first, second]);
    const versions = await Promise.all(kafka.records().map(async (m) => (await decode(reg, m.value!)).version));
    expect(versions).toEqual([1, 2]);
  });
});

/**
 * The sink's commit lane in memory: `commit()` stores what was written; golden rows are not needed
 * here. `holdFlushes()` keeps commits waiting (ClickHouse slow) until its release is called.
 */
function memorySink() {
  let buffered: LakeRow[] = [];
  const stored: LakeRow[] = [];
  let hold: Promise<void> | null = null;
  const sink: MergeSink = {
    writeEvents: (rows) => void buffered.push(...rows.map((r) => ({ ...r }))),
    writeGolden: () => undefined,
    writeDeadLetters: () => expect.fail('nothing is dead-lettered here'),
    onBeforeFlush: () => undefined,
    onFlushed: () => undefined,
  };
  return {
    sink,
    stored,
    commit: async () => {
      if (hold) await hold;
      stored.push(...buffered);
      buffered = [];
    },
    holdFlushes() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
  };
}

/** What `loadOwnedState` reads from stored lake rows: events by uid, version = highest order_version. */
function ownedState(stored: readonly LakeRow[]): OwnedOrderState[] {
  const ids = [...new Set(stored.map((r) => r.order_id))].sort();
  return ids.map((orderId) => {
    const rows = stored.filter((r) => r.order_id === orderId);
    const events = new Map<string, unknown>();
    for (const r of rows) events.set(r.event_uid, r.payload);
    const head = rows.reduce((a, r) => ((r.order_version ?? 0) > (a.order_version ?? 0) ? r : a));
    return { orderId, version: head.order_version ?? 0, goldenVersion: 0, updatedAt: head.order_version_at ?? head.ingested_at, isDeleted: false, dormant: false, events: [...events.values()] };
  });
}

/** A merge worker on an in-memory store and sink, driven batch by batch like the consumer-group runner. */
async function mergeWorker(kafka: ReturnType<typeof recordingProducer>, reg: SchemaRegistry, lake: ReturnType<typeof memorySink>, restoreFrom: readonly LakeRow[] = []) {
  let time = T0 + 60 * MINUTE;
  const now = () => (time += 1000);
  const store = createGoldenStore({ now });
  const merge = createMergeStage({ store, sink: lake.sink, now });
  const changelog = createGoldenChangelog({ producer: kafka.producer, registry: reg, topic: TOPIC, logger, retry: { retries: 0, baseMs: 1, maxMs: 1 } });
  await changelog.start();
  let spec: ConsumerGroupSpec | undefined;
  const consumer: ConsumerGroup = {
    run: async (s) => void (spec = s),
    commit: async () => undefined,
    assignment: () => ({}),
    stop: async () => undefined,
  };
  const worker = createKafkaMergeWorker({
    consumer,
    logger,
    store,
    merge,
    groupId: 'g',
    topic: 'ol.events',
    rebuild: async (partitions) => {
      const owned = ownedState(restoreFrom);
      merge.restore(owned, partitions[0]!);
      return owned.map((o) => ({ orderId: o.orderId, partition: partitions[0]! }));
    },
    flush: lake.commit,
    deadLetters: () => expect.fail('nothing is dead-lettered here'),
    now,
    changelog,
  });
  await worker.start();
  await spec!.onAssign!({ 'ol.events': [0] });
  let offset = 0;
  return {
    store,
    /** Hands one batch to the worker; resolves once it is handed off, with its acknowledgement. */
    async batch(events: CanonicalEvent[]): Promise<BatchAck> {
      const messages = events.map((event) => ({
        offset: String(offset++),
        timestamp: T0,
        key: Buffer.from((event as { order_id: string }).order_id),
        value: encodeEventMessage({ orderId: (event as { order_id: string }).order_id, event, position: { topic: 'crm', partition: 0, offset: String(offset), timestamp: T0 } }),
        headers: {},
      }));
      return (await spec!.eachBatch({ topic: 'ol.events', partition: 0, messages })) as BatchAck;
    },
  };
}

async function versionsOnTopic(kafka: ReturnType<typeof recordingProducer>, reg: SchemaRegistry): Promise<Array<[string, number, boolean, number]>> {
  return Promise.all(
    kafka.records().map(async (m) => {
      const r = await decode(reg, m.value!);
      expect(m.key).toBe(r.order_id);
      return [r.order_id, r.version, r.deleted, r.changed_fields.length] as [string, number, boolean, number];
    }),
  );
}

describe('the merge worker publishes every golden version', () => {
  const created = (id: string, rv = 1) => crmOrder({ order_id: id, row_version: rv, updated_at: T0 + rv * MINUTE });

  it('one record per version and per delete, in version order, and the batch is acknowledged only with them', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const w = await mergeWorker(kafka, reg, lake);
    await (await w.batch([created('SO-1'), created('SO-2')])).acknowledged;
    const release = kafka.holdAcks();
    const { acknowledged: ack } = await w.batch([created('SO-1', 2), wms('RELEASED', T0 + 5 * MINUTE, { event_id: 'w-1', order_id: 'SO-1' }), crmOrderDelete('SO-2', 9000)]);
    let acknowledged = false;
    void ack.then(() => (acknowledged = true));
    await new Promise((r) => setTimeout(r, 30));
    // The lake rows are stored; the records are not acknowledged yet: neither is the batch.
    expect(lake.stored.length).toBe(5);
    expect(acknowledged).toBe(false);
    release();
    await ack;
    const records = await versionsOnTopic(kafka, reg);
    expect(records.map(([id, v, deleted]) => [id, v, deleted])).toEqual([
      ['SO-1', 1, false],
      ['SO-2', 1, false],
      ['SO-1', 2, false],
      ['SO-2', 2, true],
    ]);
    // A re-delivered batch changes nothing and publishes nothing.
    await (await w.batch([created('SO-1', 2)])).acknowledged;
    expect(kafka.records()).toHaveLength(4);
  });

  it('publishes a version only once its lake rows are stored, so a takeover never numbers it again', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const w = await mergeWorker(kafka, reg, lake);
    const release = lake.holdFlushes();
    const { acknowledged } = await w.batch([created('SO-1')]);
    await new Promise((r) => setTimeout(r, 30));
    expect(kafka.records()).toHaveLength(0);
    release();
    await acknowledged;
    expect(lake.stored).toHaveLength(1);
    expect((await versionsOnTopic(kafka, reg)).map(([id, v]) => [id, v])).toEqual([['SO-1', 1]]);
  });

  it('after a takeover, re-publishes the version a crash stored in the lake but never got onto the topic', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const a = await mergeWorker(kafka, reg, lake);
    await (await a.batch([created('SO-1')])).acknowledged;
    // Worker A merges v2, its lake rows are stored, and it dies before Kafka acknowledged the record.
    kafka.fail(1);
    await (await a.batch([created('SO-1', 2)])).acknowledged.catch(() => undefined);
    expect((await versionsOnTopic(kafka, reg)).map(([, v]) => v)).toEqual([1]);
    expect(lake.stored.map((r) => r.order_version)).toEqual([1, 2]);

    // Worker B takes over at version 2 (the lake records it); the uncommitted batch comes again.
    const b = await mergeWorker(kafka, reg, memorySink(), lake.stored);
    expect(b.store.get('SO-1')?.version).toBe(2);
    await (await b.batch([created('SO-1', 2)])).acknowledged;
    const records = await versionsOnTopic(kafka, reg);
    expect(records.map(([id, v]) => [id, v])).toEqual([
      ['SO-1', 1],
      ['SO-1', 2],
    ]);
    // Re-published: its predecessor is unknown to B, so every field is listed.
    expect(records[1]![3]).toBe(GOLDEN_BODY_FIELDS.length);
    // Only once: later duplicates publish nothing more.
    await (await b.batch([created('SO-1', 2)])).acknowledged;
    expect(kafka.records()).toHaveLength(2);
  });

  it('after a takeover, re-publishes a delete a crash stored in the lake but never got onto the topic', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const a = await mergeWorker(kafka, reg, lake);
    await (await a.batch([created('SO-1')])).acknowledged;
    kafka.fail(1);
    await (await a.batch([crmOrderDelete('SO-1', 9000)])).acknowledged.catch(() => undefined);
    expect(lake.stored.map((r) => r.order_version)).toEqual([1, 2]);

    // B holds SO-1 deleted at version 2; the re-delivered delete is a duplicate, yet the delete is published.
    const b = await mergeWorker(kafka, reg, memorySink(), lake.stored);
    expect(b.store.isDeleted('SO-1')).toBe(true);
    await (await b.batch([crmOrderDelete('SO-1', 9000)])).acknowledged;
    expect((await versionsOnTopic(kafka, reg)).map(([id, v, deleted]) => [id, v, deleted])).toEqual([
      ['SO-1', 1, false],
      ['SO-1', 2, true],
    ]);
  });

  it('a version re-published after a takeover is the record first published, updated_at included', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const a = await mergeWorker(kafka, reg, lake);
    await (await a.batch([created('SO-1')])).acknowledged;
    await (await a.batch([created('SO-1', 2)])).acknowledged;
    // A source duplicate of the event that made v2, merged later: it changes nothing and stores
    // nothing, so the lake's only row of that event is the one that dates v2.
    await (await a.batch([created('SO-1', 2)])).acknowledged;
    expect(lake.stored.map((r) => r.order_version)).toEqual([1, 2]);

    // B restores v2 from the lake (no golden row) and re-publishes it with the re-delivered event:
    // the same record as A's.
    const b = await mergeWorker(kafka, reg, memorySink(), lake.stored);
    await (await b.batch([created('SO-1', 2)])).acknowledged;
    const records = kafka.records();
    expect(records).toHaveLength(3);
    expect((await decode(reg, records[2]!.value!)).view).toEqual((await decode(reg, records[1]!.value!)).view);
  });

  it('after a takeover, re-publishes that version before the next one when the re-delivered batch brings new events too', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const a = await mergeWorker(kafka, reg, lake);
    await (await a.batch([created('SO-1')])).acknowledged;
    kafka.fail(1);
    await (await a.batch([created('SO-1', 2)])).acknowledged.catch(() => undefined);

    // B's first batch holds the uncommitted event again and a new one: v2 comes back, then v3.
    const b = await mergeWorker(kafka, reg, memorySink(), lake.stored);
    await (await b.batch([created('SO-1', 2), created('SO-1', 3)])).acknowledged;
    const records = await versionsOnTopic(kafka, reg);
    expect(records.map(([id, v]) => [id, v])).toEqual([
      ['SO-1', 1],
      ['SO-1', 2],
      ['SO-1', 3],
    ]);
    // Exactly the view A made at version 2 (its events are stored): a duplicate a reader can drop.
    const republished = await decode(reg, kafka.records()[1]!.value!);
    expect(republished.view).toEqual(JSON.parse(JSON.stringify(a.store.get('SO-1'))));
  });

  it('a batch whose records failed re-publishes its orders when the partition is read again', async () => {
    const reg = await registry();
    const kafka = recordingProducer();
    const lake = memorySink();
    const w = await mergeWorker(kafka, reg, lake);
    kafka.fail(1);
    await expect((await w.batch([created('SO-1'), created('SO-2')])).acknowledged).rejects.toThrow(/NOT_LEADER/);
    expect(kafka.records()).toHaveLength(0);
    // The runner reads the partition again from that batch: duplicates now, yet both orders are published.
    await (await w.batch([created('SO-1'), created('SO-2')])).acknowledged;
    expect((await versionsOnTopic(kafka, reg)).map(([id, v]) => [id, v])).toEqual([
      ['SO-1', 1],
      ['SO-2', 1],
    ]);
  });
});
