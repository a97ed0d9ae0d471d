import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { groupLag, prepareKafkaScenario, spawnWorker, stopWorker, waitUntilDrained } from '../../helpers/pipeline-run.js';
import { expectExactWorkerResult } from '../../helpers/golden-table.js';

/**
 * A worker killed with SIGKILL mid-stream (no flush, no commit, no goodbye) and a new one started
 * on the same Kafka group and ClickHouse data: the result must be the same golden table as an
 * uninterrupted run — nothing lost (uncommitted batches are re-delivered) and nothing doubled (the
 * merge and the lake de-duplicate by event identity).
 */
describe.each(['kafkajs', 'rdkafka'] as const)('Kafka worker killed mid-stream and restarted (worker on %s)', (kafkaClient) => {
  const k = useTestKafka();

  it('gives the same golden table, nothing lost, nothing doubled', async () => {
    const { topics, expected, malformed, env, dataDir } = await prepareKafkaScenario(k.kafka, k.admin, {
      brokers: kafkaBrokers(),
      registryUrl: schemaRegistryUrl(),
      seed: 99,
      startTime: Date.UTC(2026, 10, 21),
      malformedCount: 12,
      kafkaClient,
    });
    const eventsTopic = `${env.topicPrefix}events`;

    // Closed orders go to sleep almost at once, so waking them and rebuilding them asleep is exercised too.
    const dormant = { ORDERLAKE_DORMANT_AFTER_MS: '1' };
    const first = await spawnWorker(env, 'worker-killed', dormant);
    // Kill once the merge stage has committed part of the stream, but not all of it.
    const lagAtKill = await waitFor(
      async () => {
        if (first.child.exitCode !== null) throw new Error(`worker exited early; see ${first.logFile}`);
        const ingestLag = await groupLag(k.admin, `${env.groupId}.ingest`, Object.values(topics));
        const mergeCommitted = await k.admin.fetchOffsets({ groupId: `${env.groupId}.merge`, topics: [eventsTopic] }).catch(() => []);
        const committedAny = mergeCommitted.some((t) => t.partitions.some((p) => Number(p.offset) > 0));
        return committedAny && ingestLag > 0 ? ingestLag : 0;
      },
      { timeoutMs: 240_000, intervalMs: 20, describe: 'the first worker to be mid-stream' },
    );
    await stopWorker(first, 'SIGKILL');
    console.log(`[kafka-restart ${kafkaClient}] worker killed with ${lagAtKill} source messages still unconsumed`);
    expect(lagAtKill).toBeGreaterThan(0);

    const second = await spawnWorker(env, 'worker-restarted', dormant);
    await waitUntilDrained(k.admin, env, Object.values(topics), second, 240_000);
    expect(await stopWorker(second)).toBe(0);

    await expectExactWorkerResult({ dataDir, database: env.database, expected, malformed });
  });
});
