import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { groupLag, prepareKafkaScenario, spawnWorker, stopWorker, waitUntilDrained } from '../../helpers/pipeline-run.js';
import { expectExactWorkerResult } from '../../helpers/golden-table.js';
import { readWorkerLog } from '../../helpers/worker-http.js';

/**
 * A worker killed with SIGKILL mid-stream (no flush, no commit, no goodbye) and a new one started
 * on the same Kafka group and ClickHouse data: the result must be the same golden table as an
 * uninterrupted run — nothing lost (uncommitted batches are re-delivered) and nothing doubled (the
 * merge and the lake de-duplicate by event identity). The rdkafka run flushes once a second, so
 * golden rows lag the committed lake rows when the worker dies: the restarted worker takes its
 * versions from the lake and writes the golden rows that were missing.
 */
describe.each([
  ['kafkajs', {}],
  ['rdkafka', { ORDERLAKE_FLUSH_INTERVAL_MS: '1000' }],
] as const)('Kafka worker killed mid-stream and restarted (worker on %s)', (kafkaClient, flushing) => {
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
    const dormant = { ORDERLAKE_DORMANT_AFTER_MS: '1', ...flushing };
    const first = await spawnWorker(env, 'worker-killed', dormant);
    // Kill once the merge stage has committed part of the stream, but not all of it: source messages
    // not yet consumed by ingest, or events the merge has not committed (ingest can be through the
    // sources before the merge's first commit, which waits for the lake rows and the changelog).
    const lagAtKill = await waitFor(
      async () => {
        if (first.child.exitCode !== null) throw new Error(`worker exited early; see ${first.logFile}`);
        const mergeCommitted = await k.admin.fetchOffsets({ groupId: `${env.groupId}.merge`, topics: [eventsTopic] }).catch(() => []);
        const committedAny = mergeCommitted.some((t) => t.partitions.some((p) => Number(p.offset) > 0));
        if (!committedAny) return 0;
        const ingestLag = await groupLag(k.admin, `${env.groupId}.ingest`, Object.values(topics));
        const mergeLag = await groupLag(k.admin, `${env.groupId}.merge`, [eventsTopic]);
        return ingestLag + mergeLag > 0 ? { ingestLag, mergeLag } : 0;
      },
      { timeoutMs: 240_000, intervalMs: 20, describe: 'the first worker to be mid-stream' },
    );
    await stopWorker(first, 'SIGKILL');
    console.log(`[kafka-restart ${kafkaClient}] worker killed with ${lagAtKill.ingestLag} source messages and ${lagAtKill.mergeLag} events still uncommitted`);
    expect(lagAtKill.ingestLag + lagAtKill.mergeLag).toBeGreaterThan(0);

    const second = await spawnWorker(env, 'worker-restarted', dormant);
    await waitUntilDrained(k.admin, env, Object.values(topics), second, 240_000);
    expect(await stopWorker(second)).toBe(0);
    const rebuilt = (await readWorkerLog(second)).filter((l) => l.msg === 'golden state rebuilt from ClickHouse');
    const behind = rebuilt.reduce((n, l) => n + Number(l.behind ?? 0), 0);
    console.log(`[kafka-restart ${kafkaClient}] restarted worker caught up ${behind} golden rows that lagged the lake`);

    const { changelog } = await expectExactWorkerResult({
      dataDir,
      database: env.database,
      expected,
      malformed,
      // Versions the crash kept off the changelog, other than the one each order was restored at, may be missing (README).
      changelog: { kafka: k.kafka, admin: k.admin, topic: `${env.topicPrefix}golden`, registryUrl: schemaRegistryUrl(), crashed: true },
    });
    console.log(
      `[kafka-restart ${kafkaClient}] golden changelog: ${changelog!.records} records, ${changelog!.versions} versions, ${changelog!.duplicates} duplicates, ${changelog!.missing} versions missing`,
    );
  });
});
