import { spawn } from 'node:child_process';
import path from 'node:path';
import { pino } from 'pino';
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createCodec } from '../../../src/main.js';
import { generateScenario, TOPICS } from '../../../src/simulator/index.js';
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
});
