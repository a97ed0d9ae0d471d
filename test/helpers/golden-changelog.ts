import type { ClickHouseClient } from '@clickhouse/client';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { Type } from 'avsc';
import { expect } from 'vitest';
import { createHttpSchemaRegistry, parseAvroType, parseConfluentFrame } from '../../src/codecs/index.js';
import type { GoldenChangeRecord } from '../../src/pipeline/kafka/golden-changelog.js';
import { randomName, waitFor } from './kafka-topics.js';

// A default import: Node's ESM loader cannot see this CommonJS export by name (outside vitest).
const { ConfigResourceTypes } = kafkajs;

/** Where to find a worker's golden changelog: the topic on the run's broker and the registry its schema is in. */
export interface ChangelogSource {
  kafka: Kafka;
  admin: Admin;
  /** `<prefix>golden`. */
  topic: string;
  registryUrl: string;
  /**
   * A worker was killed during the run. Versions made by batches whose lake rows were stored but
   * whose records Kafka had not acknowledged when it died are re-published only for the version the
   * order was restored at (README, "Golden changelog topic"): earlier ones may be missing. Such gaps
   * are counted instead of failing; everything else is checked as strictly as without a crash.
   */
  crashed?: boolean;
}

export interface ChangelogEntry {
  partition: number;
  offset: number;
  key: string;
  schemaId: number;
  record: GoldenChangeRecord;
}

/**
 * Reads the whole changelog topic from the beginning up to its end offsets (taken first), decoding
 * each value as a downstream reader would: the Confluent frame's schema id, that schema from the
 * registry, Avro. Entries come back in offset order within each partition.
 */
export async function readGoldenChangelog(source: ChangelogSource): Promise<ChangelogEntry[]> {
  const { kafka, admin, topic } = source;
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const registry = createHttpSchemaRegistry({ url: source.registryUrl });
  const types = new Map<number, Type>();
  const raw: Array<{ partition: number; offset: number; key: string; value: Buffer }> = [];
  const next = new Map<number, number>();
  const consumer = kafka.consumer({ groupId: randomName('changelog-reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        expect(message.value, `${topic}[${partition}]@${message.offset}: a record, never a tombstone`).not.toBeNull();
        raw.push({ partition, offset: Number(message.offset), key: message.key?.toString('utf8') ?? '', value: message.value! });
        next.set(partition, Number(message.offset) + 1);
      },
    });
    await waitFor(() => [...ends].every(([p, end]) => (next.get(p) ?? 0) >= end), { timeoutMs: 120_000, intervalMs: 100, describe: `${topic} read to its end` });
  } finally {
    await consumer.disconnect();
  }
  const entries: ChangelogEntry[] = [];
  for (const m of raw.sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    const { schemaId, body } = parseConfluentFrame(m.value);
    let type = types.get(schemaId);
    if (type === undefined) {
      type = parseAvroType(JSON.parse(await registry.getSchemaById(schemaId)));
      types.set(schemaId, type);
    }
    entries.push({ partition: m.partition, offset: m.offset, key: m.key, schemaId, record: type.fromBuffer(body) as GoldenChangeRecord });
  }
  return entries;
}

/** Every order of the golden table with its newest version, whether that version deleted it, and its view. */
async function goldenHeads(client: ClickHouseClient, database: string): Promise<Map<string, { version: number; deleted: boolean; view: Record<string, unknown> | null }>> {
  const rs = await client.query({
    query: `SELECT order_id, max(version) AS head, argMax(is_deleted, version) AS deleted, argMax(view, version) AS head_view
            FROM ${database}.golden_orders GROUP BY order_id`,
    format: 'JSONEachRow',
  });
  const rows = (await rs.json()) as Array<{ order_id: string; head: string | number; deleted: number; head_view: string }>;
  return new Map(rows.map((r) => [r.order_id, { version: Number(r.head), deleted: r.deleted === 1, view: r.deleted === 1 ? null : (JSON.parse(r.head_view) as Record<string, unknown>) }]));
}

/** What {@link expectGoldenChangelog} counted. */
function sameRecord(a: GoldenChangeRecord, b: GoldenChangeRecord): boolean {
  return a.deleted === b.deleted && JSON.stringify(a.view) === JSON.stringify(b.view);
}

export interface ChangelogCounts {
  /** Records on the topic. */
  records: number;
  /** Distinct (order, version) pairs among them. */
  versions: number;
  /** Records whose (order, version) an earlier record already carried (re-sent after a failure or a crash). */
  duplicates: number;
  /** Versions of the golden table missing from the topic (0 unless `crashed`), with a few examples. */
  missing: number;
  missingExamples: string[];
}

/**
 * The golden changelog promise, checked against the golden table: the topic is compacted; every
 * value is framed with the id the registry holds for `<topic>-value`; each record is keyed by its
 * order, all of an order's records are on one partition in non-decreasing version order, a
 * duplicate version carries the same view as the first copy; and after dropping duplicates by
 * (order, version), each order has exactly the versions 1..N, N being its golden_orders version
 * (with `crashed`: at most those, N always), the last of them equal to the table's view (a delete:
 * `deleted`, no view). Returns what it counted.
 */
export async function expectGoldenChangelog(client: ClickHouseClient, database: string, source: ChangelogSource): Promise<ChangelogCounts> {
  const { admin, topic } = source;
  const [described] = (
    await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false })
  ).resources;
  expect(described!.configEntries.find((c) => c.configName === 'cleanup.policy')?.configValue).toBe('compact');

  const subject = await fetch(`${source.registryUrl}/subjects/${encodeURIComponent(`${topic}-value`)}/versions/latest`);
  expect(subject.status).toBe(200);
  const registeredId = ((await subject.json()) as { id: number }).id;

  const entries = await readGoldenChangelog(source);
  const heads = await goldenHeads(client, database);
  /** Per order: its partition, and the last record of each version (a re-sent version replaces the first copy). */
  const byOrder = new Map<string, { partition: number; last: number; versions: Map<number, GoldenChangeRecord> }>();
  let duplicates = 0;
  const conflicts: string[] = [];
  for (const e of entries) {
    expect(e.schemaId).toBe(registeredId);
    expect(e.key).toBe(e.record.order_id);
    let order = byOrder.get(e.key);
    if (order === undefined) {
      order = { partition: e.partition, last: 0, versions: new Map() };
      byOrder.set(e.key, order);
    }
    expect(e.partition, `${e.key}: one partition`).toBe(order.partition);
    expect(e.record.version, `${e.key}: versions never go back`).toBeGreaterThanOrEqual(order.last);
    order.last = e.record.version;
    const first = order.versions.get(e.record.version);
    if (first !== undefined) {
      duplicates++;
      // A re-sent version is the same version, `updated_at` included: a reader may keep either copy.
      if (!sameRecord(first, e.record)) {
        const fields = Object.keys({ ...first.view, ...e.record.view }).filter((f) => JSON.stringify((first.view as any)?.[f]) !== JSON.stringify((e.record.view as any)?.[f]));
        const shown = fields.map((f) => `${f} ${JSON.stringify((first.view as any)?.[f])} → ${JSON.stringify((e.record.view as any)?.[f])}`);
        conflicts.push(`${e.key} v${e.record.version} sent twice with different ${first.deleted !== e.record.deleted ? 'delete flags' : `fields: ${shown.join(', ')}`}`);
      }
    }
    order.versions.set(e.record.version, e.record);
  }

  if (conflicts.length > 0) console.log(`[golden changelog] ${conflicts.length} conflicting duplicate(s): ${conflicts.join('; ')}`);
  expect(conflicts, 'versions re-sent with another view').toEqual([]);

  const describeOrder = (orderId: string) => ({
    orderId,
    records: [...(byOrder.get(orderId)?.versions.values() ?? [])].map((r) => `v${r.version}${r.deleted ? ' deleted' : ` ${r.view?.status}`}`),
    table: heads.get(orderId) ?? null,
  });
  expect([...byOrder.keys()].filter((id) => !heads.has(id)).map(describeOrder), 'orders on the topic without a golden row').toEqual([]);
  expect([...heads.keys()].filter((id) => !byOrder.has(id)).map(describeOrder), 'orders of the golden table missing from the topic').toEqual([]);
  let versions = 0;
  let missing = 0;
  const missingExamples: string[] = [];
  for (const [orderId, head] of heads) {
    const order = byOrder.get(orderId)!;
    const held = [...order.versions.keys()].sort((a, b) => a - b);
    const all = Array.from({ length: head.version }, (_, i) => i + 1);
    versions += held.length;
    if (source.crashed) {
      expect(held[held.length - 1], `${orderId}: its golden version ${head.version} is on the topic`).toBe(head.version);
      expect(held[0], `${orderId}: no version below 1`).toBeGreaterThanOrEqual(1);
      const lacking = all.filter((v) => !order.versions.has(v));
      missing += lacking.length;
      if (lacking.length > 0 && missingExamples.length < 5) missingExamples.push(`${orderId} v${lacking.join(',')} of ${head.version}`);
    } else {
      expect(held, `${orderId}: versions 1..${head.version}`).toEqual(all);
    }
    const last = order.versions.get(head.version)!;
    expect(last.deleted, orderId).toBe(head.deleted);
    if (head.deleted) expect(last.view, orderId).toBeNull();
    else expect(JSON.parse(JSON.stringify(last.view)), orderId).toEqual(head.view);
    for (const [v, r] of order.versions) {
      expect(r.deleted, `${orderId} v${v}: only the last version can be a delete`).toBe(head.deleted && v === head.version);
      if (r.view !== null) expect(r.view.version, `${orderId} v${v}`).toBe(v);
    }
  }
  return { records: entries.length, versions, duplicates, missing, missingExamples };
}
