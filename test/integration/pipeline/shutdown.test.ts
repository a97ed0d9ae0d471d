import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import {
  createSourceTopics,
  expectedViews,
  generateScenario,
  groupLag,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  produceScenario,
  spawnWorker,
  stopWorker,
  waitUntilDrained,
  type WorkerEnv,
  type WorkerProcess,
} from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals } from '../../helpers/golden-table.js';
import { pollUntilStatus, readWorkerLog, workerHttp, workerReaper } from '../../helpers/worker-http.js';
import { startChdbHttpProcess, type ChdbHttpProcess } from '../../setup/chdb-http-process.js';

/** ORDERLAKE_SHUTDOWN_TIMEOUT_MS's default, as the README states it. */
const DEFAULT_SHUTDOWN_MS = 30_000;
/** The short deadline of case (b). */
const SHORT_SHUTDOWN_MS = 5_000;
/** The documented status of a stop that ran out of time (README, src/runtime/shutdown-deadline.ts). */
const INCOMPLETE_STATUS = 75;
/** Process exit after the deadline fires: logging and `process.exit`, on a busy 2-core machine. */
const EXIT_SLACK_MS = 3_000;

/**
 * A Kafka worker stopped with SIGTERM, as real processes: the worker (`orderlake start`) on the
 * test broker, its ClickHouse the chDB HTTP server in a process of its own (ClickHouse's engine
 * behind its HTTP interface), which the test stops to take ClickHouse away — every sink call is
 * then refused — or freezes (SIGSTOP: connections are accepted and never answered, so the stop
 * hangs until its deadline). The stream is produced in four parts, each while the worker it is meant for runs,
 * so every stop happens with work in flight.
 */
describe('Kafka worker shutdown on SIGTERM', () => {
  const k = useTestKafka();
  const reaper = workerReaper();
  let clickhouse: ChdbHttpProcess;
  let reader: ClickHouseClient;
  let env: WorkerEnv;
  let topics: Record<string, string>;
  let parts: Array<ReturnType<typeof generateScenario>>;
  let baseEnv: Record<string, string>;
  const eventsTopic = () => `${env.topicPrefix}events`;
  const mergeGroup = () => `${env.groupId}.merge`;

  beforeAll(async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-shutdown-'));
    clickhouse = await startChdbHttpProcess({ dataPath: path.join(dataDir, 'clickhouse'), logFile: path.join(dataDir, 'clickhouse.log') });
    reader = createClient({ url: clickhouse.url });
    const prefixed = await pipelinesWithTopicPrefix(`src-${Math.random().toString(36).slice(2, 8)}.`);
    topics = prefixed.topics;
    await createSourceTopics(k.admin, topics, 3);
    env = { ...newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), prefixed.dir, dataDir), kafkaClient: 'kafkajs' };
    const lines = generateScenario({ seed: 1111, orders: 500, startTime: Date.UTC(2026, 10, 25), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const cut = (share: number) => Math.floor(lines.length * share);
    parts = [lines.slice(0, cut(0.5)), lines.slice(cut(0.5), cut(0.65)), lines.slice(cut(0.65), cut(0.8)), lines.slice(cut(0.8))];
    // A worker killed without leaving its groups (cases b, c) holds its partitions this long.
    baseEnv = { CLICKHOUSE_URL: clickhouse.url, KAFKA_SESSION_TIMEOUT_MS: '6000' };
  });

  afterAll(async () => {
    await reaper.killAll();
    await reader?.close();
    await clickhouse?.stop();
  });

  const produce = (part: number) => produceScenario(k.kafka, schemaRegistryUrl(), parts[part]!, topics, []);
  const spawn = async (name: string, extra: Record<string, string> = {}) => {
    const http = await workerHttp();
    const worker = reaper.track(await spawnWorker(env, name, { ...baseEnv, ...http.env, ...extra }));
    return { worker, http, spawnedAt: performance.now() };
  };
  const committed = async (): Promise<Record<number, string>> => {
    const [t] = await k.admin.fetchOffsets({ groupId: mergeGroup(), topics: [eventsTopic()] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  };
  /** Sends SIGTERM and times the exit. */
  const terminate = async (worker: WorkerProcess): Promise<{ code: number | null; ms: number }> => {
    const from = performance.now();
    const code = await stopWorker(worker, 'SIGTERM');
    return { code, ms: Math.round(performance.now() - from) };
  };
  const logged = (worker: WorkerProcess, msg: string | RegExp, describe: string) =>
    waitFor(async () => (await readWorkerLog(worker)).find((l) => (typeof msg === 'string' ? l.msg === msg : msg.test(l.msg))), { timeoutMs: 120_000, intervalMs: 50, describe: `${describe} (${worker.logFile})` });
  const drainAndStop = async (name: string) => {
    const { worker } = await spawn(name);
    await waitUntilDrained(k.admin, env, Object.values(topics), worker, 240_000);
    const stop = await terminate(worker);
    expect(stop.code).toBe(0);
    return stop;
  };

  it('(a) a SIGTERM mid-stream exits 0 within the stated time; a restart ends with the exact golden table', async () => {
    await produce(0);
    const { worker } = await spawn('a-stopped');
    // Mid-stream: the merge has committed part of the stream, not all of it.
    const lag = await waitFor(
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`worker exited early; see ${worker.logFile}`);
        const offsets = await committed().catch(() => ({}));
        if (!Object.values(offsets).some((o) => Number(o) > 0)) return 0;
        const total = (await groupLag(k.admin, `${env.groupId}.ingest`, Object.values(topics))) + (await groupLag(k.admin, mergeGroup(), [eventsTopic()]));
        return total > 0 ? total : 0;
      },
      { timeoutMs: 240_000, intervalMs: 20, describe: 'the worker to be mid-stream' },
    );
    const stop = await terminate(worker);
    const log = await readWorkerLog(worker);
    console.log(`[shutdown a] SIGTERM with ${lag} messages uncommitted: exit ${stop.code} after ${stop.ms} ms (stated: ${DEFAULT_SHUTDOWN_MS} ms)`);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(DEFAULT_SHUTDOWN_MS);
    expect(log.some((l) => l.msg.startsWith(`shutting down within ${DEFAULT_SHUTDOWN_MS} ms`))).toBe(true);
    expect(log.some((l) => l.msg === 'stopped')).toBe(true);
    expect(log.filter((l) => l.level >= 50)).toEqual([]);

    const restart = await drainAndStop('a-restarted');
    console.log(`[shutdown a] restarted worker drained and stopped in ${restart.ms} ms`);
    await expectGoldenTableEquals(reader, env.database, await expectedViews(parts[0]!));
  });

  it('(c) a second SIGTERM during a slow shutdown exits at once with 143', async () => {
    const { worker, http, spawnedAt } = await spawn('c-forced');
    await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 120_000, intervalMs: 100 });
    await clickhouse.stop('SIGKILL');
    await produce(1);
    await logged(worker, 'ClickHouse insert failed; retrying', 'the sink to fail');
    worker.child.kill('SIGTERM');
    await logged(worker, /^shutting down within/, 'the orderly stop to begin');
    const from = performance.now();
    const code = await stopWorker(worker, 'SIGTERM');
    const ms = Math.round(performance.now() - from);
    console.log(`[shutdown c] second SIGTERM during a stop held up by ClickHouse: exit ${code} after ${ms} ms`);
    expect(code).toBe(143);
    expect(ms).toBeLessThan(EXIT_SLACK_MS);
    const log = await readWorkerLog(worker);
    expect(log.some((l) => l.msg.startsWith('second signal: exiting now'))).toBe(true);
    expect(log.some((l) => l.msg === 'stopped')).toBe(false);
  });

  it('(b1) with ClickHouse frozen, a SIGTERM exits at the deadline with 75, naming what was left', async () => {
    await clickhouse.start();
    const { worker, http, spawnedAt } = await spawn('b1-frozen', { ORDERLAKE_SHUTDOWN_TIMEOUT_MS: String(SHORT_SHUTDOWN_MS) });
    await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 120_000, intervalMs: 100 });
    const atFreeze = await committed();
    process.kill(clickhouse.pid()!, 'SIGSTOP');
    try {
      await produce(2);
      // Work in flight: events on the merge's partitions that it cannot store.
      await waitFor(async () => (await groupLag(k.admin, mergeGroup(), [eventsTopic()])) > 0, { timeoutMs: 60_000, intervalMs: 100, describe: 'merge lag while ClickHouse is frozen' });
      const stop = await terminate(worker);
      const log = await readWorkerLog(worker);
      const line = log.find((l) => l.level === 50 && l.code === 'OL_ERR_SHUTDOWN_INCOMPLETE');
      console.log(`[shutdown b1] SIGTERM with ClickHouse frozen: exit ${stop.code} after ${stop.ms} ms (deadline ${SHORT_SHUTDOWN_MS} ms); ${line?.msg}`);
      expect(stop.code).toBe(INCOMPLETE_STATUS);
      expect(stop.ms).toBeGreaterThanOrEqual(SHORT_SHUTDOWN_MS - 100);
      expect(stop.ms).toBeLessThan(SHORT_SHUTDOWN_MS + EXIT_SLACK_MS);
      expect(line?.msg).toMatch(new RegExp(`did not finish within ${SHORT_SHUTDOWN_MS} ms .*: \\d+ rows not stored in ClickHouse, \\d+ batches unacknowledged`));
      const unacknowledged = Object.values(line!.unacknowledgedBatches as Record<string, number>).reduce((n, b) => n + b, 0);
      expect(line!.bufferedRows + unacknowledged).toBeGreaterThan(0);
      // Nothing the frozen ClickHouse did not acknowledge was committed (offsets may only have
      // moved for batches acknowledged before the freeze, which none of the new events are).
      const after = await committed();
      const ends = Object.fromEntries((await k.admin.fetchTopicOffsets(eventsTopic())).map((p) => [p.partition, Number(p.high)]));
      expect(Object.entries(after).some(([p, o]) => Number(o) < ends[Number(p)]!)).toBe(true);
      for (const [p, o] of Object.entries(atFreeze)) expect(Number(after[Number(p)])).toBeGreaterThanOrEqual(Number(o));
    } finally {
      process.kill(clickhouse.pid()!, 'SIGCONT');
    }
  });

  it('(b) with ClickHouse gone, a SIGTERM exits by the deadline with 75 naming what was left; nothing was committed meanwhile; a restart catches up exactly', async () => {
    const { worker, http, spawnedAt } = await spawn('b-deadline', { ORDERLAKE_SHUTDOWN_TIMEOUT_MS: String(SHORT_SHUTDOWN_MS) });
    await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 120_000, intervalMs: 100 });
    await clickhouse.stop('SIGKILL');
    const downSince = Date.now();
    await produce(3);
    await waitFor(async () => (await readWorkerLog(worker)).some((l) => l.msg === 'ClickHouse insert failed; retrying' && l.time >= downSince), {
      timeoutMs: 120_000,
      intervalMs: 50,
      describe: `the sink to fail (${worker.logFile})`,
    });
    // Commits of batches stored before ClickHouse went away may still land: wait until the
    // committed offsets have held still for a while, then they must not move again.
    let previous = '';
    let stable = 0;
    const atOutage = await waitFor(
      async () => {
        const now = await committed();
        stable = JSON.stringify(now) === previous ? stable + 1 : 0;
        previous = JSON.stringify(now);
        return stable >= 5 ? now : null;
      },
      { timeoutMs: 60_000, intervalMs: 200, describe: 'the merge group committed offsets to hold still' },
    );
    const stop = await terminate(worker);
    const afterStop = await committed();
    const log = await readWorkerLog(worker);
    // Refused inserts fail fast: the stop's last flush gives up (the sink's retries) before the
    // deadline, or the deadline comes first; either way 75 and one line of what was left.
    const timeoutLine = log.find((l) => l.level === 50 && l.code === 'OL_ERR_SHUTDOWN_INCOMPLETE');
    console.log(`[shutdown b] SIGTERM with ClickHouse gone: exit ${stop.code} after ${stop.ms} ms (deadline ${SHORT_SHUTDOWN_MS} ms); ${timeoutLine?.msg}`);
    expect(stop.code).toBe(INCOMPLETE_STATUS);
    expect(stop.ms).toBeLessThan(SHORT_SHUTDOWN_MS + EXIT_SLACK_MS);
    expect(timeoutLine).toBeDefined();
    expect(timeoutLine!.msg).toMatch(/\d+ rows not stored in ClickHouse, \d+ batches unacknowledged/);
    const unacknowledged = Object.values(timeoutLine!.unacknowledgedBatches as Record<string, number>).reduce((n, b) => n + b, 0);
    expect(timeoutLine!.bufferedRows + unacknowledged).toBeGreaterThan(0);
    expect(afterStop).toEqual(atOutage);
    expect(log.some((l) => l.msg === 'stopped')).toBe(false);

    await clickhouse.start();
    const restart = await drainAndStop('b-restarted');
    console.log(`[shutdown b] restarted worker drained and stopped in ${restart.ms} ms`);
    await expectGoldenTableEquals(reader, env.database, await expectedViews(parts.flat()));
  });
});
