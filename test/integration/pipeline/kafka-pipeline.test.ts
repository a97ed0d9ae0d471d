import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { expectGoldenChangelog } from '../../helpers/golden-changelog.js';
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
    // Messages on the internal topics that orderlake did not write: each must become a dead letter
    // of the stage that reads that topic, with its bytes and position, never skipped in silence.
    const internal = { events: `${env.topicPrefix}events`, links: `${env.topicPrefix}links` };
    await k.admin.createTopics({ topics: Object.values(internal).map((topic) => ({ topic, numPartitions: env.partitions })) });
    const garbage = [
      { topic: internal.events, key: 'bad-event-1', value: Buffer.from('{not json') },
      { topic: internal.events, key: 'bad-event-2', value: Buffer.from(JSON.stringify({ v: 9, orderId: 'SO-X' })) },
      { topic: internal.links, key: 'bad-link-1', value: Buffer.from([0, 1, 2, 3]) },
    ];
    const producer = k.kafka.producer();
    await producer.connect();
    for (const g of garbage) await producer.send({ topic: g.topic, messages: [{ key: g.key, value: g.value }] });
    await producer.disconnect();

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
      for (const g of garbage) {
        const found = dead.find((d) => d.key === g.key);
        expect(found, `dead letter for ${g.key}`).toMatchObject({ code: 'OL_ERR_INTERNAL_MESSAGE', topic: g.topic, stage: g.topic === internal.links ? 'link' : 'merge' });
        expect(Buffer.from(found!.value, 'base64')).toEqual(g.value);
      }
      expect(dead).toHaveLength(malformed.length + garbage.length);
      const lake = await lakeCounts(client, env.database);
      expect(lake.rows).toBe(lake.distinct);
      // The golden changelog topic: exactly the golden table's versions, each once (no crash here).
      const changelog = await expectGoldenChangelog(client, env.database, { kafka: k.kafka, admin: k.admin, topic: `${env.topicPrefix}golden`, registryUrl: schemaRegistryUrl() });
      console.log(`[kafka-pipeline ${kafkaClient}] golden changelog: ${changelog.records} records, ${changelog.versions} versions, ${changelog.duplicates} duplicates`);
      expect(changelog.duplicates).toBe(0);
    } finally {
      await client.close();
    }
  });
});
