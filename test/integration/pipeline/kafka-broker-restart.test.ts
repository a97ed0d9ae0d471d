import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { startKafkaBroker, type KafkaBroker } from '../../setup/kafka-broker.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { randomName, waitFor } from '../../helpers/kafka-topics.js';
import { prepareKafkaScenario, spawnWorker, stopWorker, waitUntilDrained } from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, lakeCounts } from '../../helpers/golden-table.js';
import { pollUntilStatus, readWorkerLog, workerHttp, workerReaper } from '../../helpers/worker-http.js';

/**
 * A worker whose broker restarts under it. The test starts a broker of its own (the run's shared
 * broker must not go away under other tests), runs a worker against it mid-stream, stops the
 * broker, waits until the worker has noticed, and starts the broker again on the same port and
 * data. The worker must recover by itself, the golden table must be exact, and the outage must be
 * logged as what it is — a condition the client retried — at warn with a count, never at error.
 */
describe.each(['kafkajs', 'rdkafka'] as const)('a worker whose Kafka broker restarts (worker on %s)', (kafkaClient) => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let admin: Admin;
  const workers = workerReaper();
  afterEach(() => workers.killAll());

  beforeAll(async () => {
    const logDir = await mkdtemp(path.join(tmpdir(), 'orderlake-private-broker-'));
    broker = await startKafkaBroker({ logFile: path.join(logDir, 'broker.log') });
    kafka = new Kafka({ clientId: randomName('broker-restart-test'), brokers: [broker.brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect().catch(() => undefined);
    await broker?.stop();
  });

  it('recovers by itself and logs the outage as warnings with a count, with no error line', { timeout: 600_000 }, async () => {
    const { topics, expected, env, dataDir } = await prepareKafkaScenario(kafka, admin, {
      brokers: [broker.brokers],
      registryUrl: schemaRegistryUrl(),
      seed: 2718,
      startTime: Date.UTC(2026, 10, 23),
      malformedCount: 0,
      kafkaClient,
    });
    const tag = `[broker-restart ${kafkaClient}]`;
    const http = await workerHttp();
    const worker = workers.track(await spawnWorker(env, 'worker', http.env));
    const spawnedAt = performance.now();
    await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 120_000, intervalMs: 200 });
    await waitFor(
      async () => {
        const committed = await admin.fetchOffsets({ groupId: `${env.groupId}.merge`, topics: [`${env.topicPrefix}events`] }).catch(() => []);
        return committed.some((t) => t.partitions.some((p) => Number(p.offset) > 0));
      },
      { timeoutMs: 240_000, intervalMs: 50, describe: 'the worker to be mid-stream' },
    );

    const noticed = (lines: Awaited<ReturnType<typeof readWorkerLog>>) => lines.some((l) => l.level === 40 && l.condition === 'connection');
    const { downMs } = await broker.restart({
      // Down until the worker has seen its connections refused, however long that takes here.
      whileDown: async () => {
        await waitFor(async () => noticed(await readWorkerLog(worker)), { timeoutMs: 60_000, intervalMs: 100, describe: 'the worker to notice the broker is gone' });
      },
    });
    console.log(`${tag} broker down for ${downMs} ms`);

    await waitUntilDrained(admin, env, Object.values(topics), worker, 300_000);
    // The outage is summed up once the client has been quiet for a while.
    const summary = await waitFor(
      async () => (await readWorkerLog(worker)).find((l) => l.condition === 'connection' && typeof l.count === 'number' && /^Kafka client recovered/.test(l.msg)),
      { timeoutMs: 60_000, intervalMs: 200, describe: 'the summary of the connection errors' },
    );
    const stopAt = performance.now();
    expect(await stopWorker(worker)).toBe(0);
    const stopMs = performance.now() - stopAt;

    const lines = await readWorkerLog(worker);
    const errors = lines.filter((l) => l.level >= 50);
    const warnings = lines.filter((l) => l.level === 40);
    const summaries = lines.filter((l) => l.condition !== undefined && typeof l.count === 'number');
    console.log(
      `${tag} stopped in ${Math.round(stopMs)} ms; ${warnings.length} warning lines (${warnings.map((l) => l.condition ?? l.msg.slice(0, 40)).join(', ')}); summaries: ${summaries.map((l) => `${l.condition} ×${l.count}`).join(', ')}`,
    );
    expect(errors, `error lines in ${worker.logFile}`).toEqual([]);
    expect(summary.level).toBe(40);
    expect(summary.count).toBeGreaterThan(1);
    // A few lines for the whole outage, not one per attempt.
    expect(warnings.length).toBeLessThan(summaries.reduce((n, l) => n + (l.count as number), 0));
    expect(warnings.length).toBeLessThanOrEqual(15);
    // A worker stopped after an outage still exits promptly (kafkajs may keep sockets it re-opened).
    expect(stopMs).toBeLessThan(20_000);

    const client = createClickHouseClient({ database: env.database, dataPath: path.join(dataDir, 'lake') });
    try {
      await expectGoldenTableEquals(client, env.database, expected);
      const lake = await lakeCounts(client, env.database);
      expect(lake.rows).toBe(lake.distinct);
    } finally {
      await client.close();
    }
  });
});
