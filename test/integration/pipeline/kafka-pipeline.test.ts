import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { testKafka } from '../../helpers/kafka-client.js';
import {
  createSourceTopics,
  expectedViews,
  generateScenario,
  malformedMessages,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  produceScenario,
  randomName,
  spawnWorker,
  stopWorker,
  stripVolatile,
  waitUntilDrained,
} from '../../helpers/pipeline-run.js';
import { lakeCounts, readDeadLetters, readGoldenTable } from '../../helpers/golden-table.js';

/**
 * The whole product on real infrastructure: ≥10,000 reference events (shuffled across topics and
 * partitions, ~10 % re-delivered, WMS v1 and v2 mixed) plus malformed messages go to a real Kafka
 * broker; a real `orderlake start` worker process consumes them into chDB. The golden table must
 * equal what the pure merge computes from the same events, and every malformed message must be a
 * dead letter.
 */
describe.each(['kafkajs', 'rdkafka'] as const)('Kafka → golden order table (worker on %s)', (kafkaClient) => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('equals the pure merge of the same events, and dead-letters every malformed message', async () => {
    const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
    await createSourceTopics(admin, topics, 3);
    const lines = generateScenario({ seed: 20261126, orders: 700, startTime: Date.UTC(2026, 10, 20), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    expect(lines.length).toBeGreaterThanOrEqual(10_000);
    const malformed = malformedMessages(topics, 40);
    const expected = await expectedViews(lines);
    const produced = await produceScenario(kafka, schemaRegistryUrl(), lines, topics, malformed);

    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-it-'));
    const env = { ...newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), dir, dataDir), kafkaClient };
    const started = performance.now();
    const worker = await spawnWorker(env, 'worker');
    await waitUntilDrained(admin, env, Object.values(topics), worker, 240_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`[kafka-pipeline ${kafkaClient}] ${produced} messages consumed, merged and committed in ${seconds.toFixed(1)} s (${Math.round(produced / seconds)} events/s, worker start-up included)`);
    expect(await stopWorker(worker)).toBe(0);

    const client = createClickHouseClient({ database: env.database, dataPath: path.join(dataDir, 'lake') });
    try {
      const golden = await readGoldenTable(client, env.database);
      expect([...golden.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [orderId, view] of expected) {
        expect(stripVolatile(golden.get(orderId) as { version?: unknown; updated_at?: unknown }), orderId).toEqual(view);
      }
      const dead = await readDeadLetters(client, env.database);
      for (const m of malformed) {
        const found = dead.find((d) => d.key === m.key);
        expect(found, `dead letter for ${m.key}`).toBeDefined();
        expect(found!.code).toBe(m.expectedCode);
      }
      expect(dead).toHaveLength(malformed.length);
      const lake = await lakeCounts(client, env.database);
      expect(lake.rows).toBe(lake.distinct);
    } finally {
      await client.close();
    }
  });
});
