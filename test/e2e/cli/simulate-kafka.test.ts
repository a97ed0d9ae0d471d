import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createCodec } from '../../../src/main.js';
import { generateScenario, TOPICS, type ReplayLine } from '../../../src/simulator/index.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { randomName, waitFor } from '../../helpers/kafka-topics.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

const CLI = path.join(REPO_ROOT, 'bin/orderlake.js');
const SOURCE_TOPICS = Object.values(TOPICS);
const HOUR = 3600_000;

/** Each topic's partitions and their end offsets; a topic that does not exist yet has none. */
async function endOffsets(admin: Admin): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  const existing = new Set(await admin.listTopics());
  for (const topic of SOURCE_TOPICS) {
    if (!existing.has(topic)) continue;
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  }
  return ends;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

/** One record as bytes: key and value in hex (`null` value: a tombstone). */
type RecordBytes = { key: string | null; value: string | null };

/**
 * The records each source partition received between two `endOffsets` readings, in offset order,
 * by `topic/partition`.
 */
async function recordsBetween(
  kafka: ReturnType<typeof useTestKafka>['kafka'],
  before: Map<string, bigint>,
  after: Map<string, bigint>,
): Promise<Map<string, RecordBytes[]>> {
  let expected = 0n;
  for (const [tp, high] of after) expected += high - (before.get(tp) ?? 0n);
  const byPartition = new Map<string, Array<RecordBytes & { offset: bigint }>>();
  let received = 0;
  const consumer = kafka.consumer({ groupId: randomName('simulate-bytes') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: SOURCE_TOPICS, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const tp = `${topic}/${partition}`;
        const offset = BigInt(message.offset);
        if (offset < (before.get(tp) ?? 0n) || offset >= (after.get(tp) ?? 0n)) return;
        const list = byPartition.get(tp) ?? [];
        list.push({ offset, key: message.key?.toString('hex') ?? null, value: message.value?.toString('hex') ?? null });
        byPartition.set(tp, list);
        received++;
      },
    });
    await waitFor(() => BigInt(received) >= expected, { timeoutMs: 60_000, describe: `${expected} records consumed` });
  } finally {
    await consumer.disconnect();
  }
  const out = new Map<string, RecordBytes[]>();
  for (const [tp, list] of [...byPartition].sort(([a], [b]) => a.localeCompare(b))) {
    out.set(tp, list.sort((a, b) => (a.offset < b.offset ? -1 : 1)).map(({ key, value }) => ({ key, value })));
  }
  return out;
}

/** What identifies a record and when it happened, from the record itself. */
function identity(topic: string, value: Record<string, any>): string {
  if (topic.startsWith('crm.')) return `${topic} lsn=${String(value.source.lsn)} event_time=${String(value.source.ts_ms)}`;
  return `${topic} ${String(value.event_id)} event_time=${String(value.occurred_at)}`;
}

/**
 * `orderlake simulate` into a Kafka 4 broker with default topic settings. Simulated event times
 * run from two days ago to days ahead: stamped as Kafka timestamps, the broker refused those more
 * than an hour ahead (INVALID_TIMESTAMP) and its retention expired the old ones.
 */
describe('orderlake simulate into Kafka', () => {
  const k = useTestKafka();

  it('is accepted message by message, stamped with the time of sending, event times kept in the records', async () => {
    const seed = 4242;
    const orders = 40;
    const start = Date.now() - 2 * 24 * HOUR;
    const expected = generateScenario({ seed, orders, startTime: start, duplicateRate: 0.1, shuffle: 'window' });
    const sendStarted = Date.now();
    // The case that broke: event times both far behind and more than an hour ahead of now.
    expect(expected.some((l) => l.timestamp! > sendStarted + 2 * HOUR)).toBe(true);
    expect(expected.some((l) => l.timestamp! < sendStarted - 2 * HOUR)).toBe(true);

    const before = await endOffsets(k.admin);
    const env = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), SCHEMA_REGISTRY_URL: '', LOG_LEVEL: 'info' };
    const { code, stderr } = await runCli(
      ['simulate', '--orders', String(orders), '--seed', String(seed), '--start', new Date(start).toISOString()],
      env,
    );
    const sendEnded = Date.now();
    expect(stderr).not.toMatch(/INVALID_TIMESTAMP/);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`"events":${expected.length}`);

    // Every message was accepted: the topics grew by exactly the scenario.
    const after = await endOffsets(k.admin);
    let grown = 0n;
    for (const [tp, high] of after) grown += high - (before.get(tp) ?? 0n);
    expect(grown).toBe(BigInt(expected.length));

    const consumer = k.kafka.consumer({ groupId: randomName('simulate-check') });
    const received: Array<{ topic: string; timestamp: number; value: Buffer | null }> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: SOURCE_TOPICS, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          // Skip what earlier runs against the same broker left in these fixed-name topics.
          if (BigInt(message.offset) < (before.get(`${topic}/${partition}`) ?? 0n)) return;
          received.push({ topic, timestamp: Number(message.timestamp), value: message.value });
        },
      });
      await waitFor(() => received.length >= expected.length, { timeoutMs: 60_000, describe: `${expected.length} simulated messages consumed` });
    } finally {
      await consumer.disconnect();
    }
    expect(received).toHaveLength(expected.length);

    // Kafka time is the time of sending (the broker and this test share the clock).
    for (const m of received) {
      expect(m.timestamp).toBeGreaterThanOrEqual(sendStarted - 1000);
      expect(m.timestamp).toBeLessThanOrEqual(sendEnded + 1000);
    }

    // The records still carry their simulated event times, exactly as generated.
    const codec = await createCodec(loadConfig({}), pino({ level: 'silent' }));
    const decoded: string[] = [];
    for (const m of received) {
      decoded.push(m.value === null ? `${m.topic} tombstone` : identity(m.topic, (await codec.decoder.decode(m.topic, m.value)) as Record<string, any>));
    }
    const generated = expected.map((l) => (l.value === null ? `${l.topic} tombstone` : identity(l.topic, l.value)));
    expect(decoded.sort()).toEqual(generated.sort());
  });

  it('gives byte-identical traffic for the same seed and --start: twice into Kafka, and the same bytes as the replay file', async () => {
    const args = ['simulate', '--orders', '30', '--seed', '5151', '--start', '2026-11-20T00:00:00Z'];
    const kafkaEnv = { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), SCHEMA_REGISTRY_URL: '', LOG_LEVEL: 'info' };
    const intoKafka = async () => {
      const before = await endOffsets(k.admin);
      const { code, stderr } = await runCli(args, kafkaEnv);
      expect(code, stderr).toBe(0);
      return recordsBetween(k.kafka, before, await endOffsets(k.admin));
    };
    const first = await intoKafka();
    const second = await intoKafka();
    expect([...first.values()].flat().length).toBeGreaterThan(30);
    // Same partitions, same records in the same order, byte for byte.
    expect(second).toEqual(first);

    // The replay file of the same seed and start, written twice, is the same file...
    const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-simulate-kafka-'));
    try {
      const { KAFKA_BROKERS: _brokers, ...fileEnv } = kafkaEnv;
      const files: string[] = [];
      for (const name of ['a.jsonl', 'b.jsonl']) {
        const out = path.join(dir, name);
        const { code, stderr } = await runCli([...args, '--out', out], fileEnv);
        expect(code, stderr).toBe(0);
        files.push(await readFile(out, 'utf8'));
      }
      expect(files[1]).toBe(files[0]);

      // ...and carries the same traffic: each line, encoded as the simulator encodes it for Kafka,
      // is the next record of the partition its key went to.
      const codec = await createCodec(loadConfig({}), pino({ level: 'silent' }));
      const partitionOfKey = new Map<string, string>();
      for (const [tp, records] of first) for (const r of records) partitionOfKey.set(`${tp.split('/')[0]} ${r.key}`, tp);
      const fromFile = new Map<string, RecordBytes[]>();
      for (const text of files[0]!.trim().split('\n')) {
        const line = JSON.parse(text) as ReplayLine;
        const key = (await codec.encoder.encodeKey(line.topic, line.key)).toString('hex');
        const value = line.value === null ? null : (await codec.encoder.encode(line.topic, line.schema, line.value)).toString('hex');
        const tp = partitionOfKey.get(`${line.topic} ${key}`);
        expect(tp, `the key of ${text.slice(0, 120)} in Kafka`).toBeDefined();
        fromFile.set(tp!, [...(fromFile.get(tp!) ?? []), { key, value }]);
      }
      expect(new Map([...fromFile].sort(([a], [b]) => a.localeCompare(b)))).toEqual(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
