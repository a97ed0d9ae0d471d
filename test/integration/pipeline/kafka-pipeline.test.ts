import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { prepareKafkaScenario, spawnWorker, stopWorker, waitUntilDrained } from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, lakeCounts, readDeadLetters } from '../../helpers/golden-table.js';

/**
 * The whole product on real infrastructure: ≥10,000 reference events (shuffled across topics and
 * partitions, ~10 % re-delivered, WMS v1 and v2 mixed) plus malformed messages go to a real Kafka
 * broker; a real `orderlake start` worker process consumes them into chDB. The golden table must
 * equal what the pure merge computes from the same events, and every malformed message must be a
 * dead letter.
 */
describe.each(['kafkajs', 'rdkafka'] as const)('Kafka → golden order table (worker on %s)', (kafkaClient) => {
  const k = useTestKafka();

  it('equals the pure merge of the same events, and dead-letters every malformed message', async () => {
    const { topics, expected, malformed, produced, env, dataDir } = await prepareKafkaScenario(k.kafka, k.admin, {
      brokers: kafkaBrokers(),
      registryUrl: schemaRegistryUrl(),
      seed: 20261126,
      startTime: Date.UTC(2026, 10, 20),
      malformedCount: 40,
      kafkaClient,
    });
    const started = performance.now();
    const worker = await spawnWorker(env, 'worker');
    await waitUntilDrained(k.admin, env, Object.values(topics), worker, 240_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`[kafka-pipeline ${kafkaClient}] ${produced} messages consumed, merged and committed in ${seconds.toFixed(1)} s (${Math.round(produced / seconds)} events/s, worker start-up included)`);
    expect(await stopWorker(worker)).toBe(0);

    const client = createClickHouseClient({ database: env.database, dataPath: path.join(dataDir, 'lake') });
    try {
      await expectGoldenTableEquals(client, env.database, expected);
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
