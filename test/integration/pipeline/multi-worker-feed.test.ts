import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';
import { generateScenario } from '../../../src/simulator/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { testProducer, useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import {
  createSourceTopics,
  encodeLines,
  expectedViews,
  groupLag,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  randomName,
  REPO_ROOT,
  spawnWorker,
  stopWorker,
  topicEndOffsetSum,
  type WorkerProcess,
} from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, readGoldenTable } from '../../helpers/golden-table.js';
import { getJson, pollUntilStatus, workerHttp, workerReaper, type WorkerHttp } from '../../helpers/worker-http.js';
import { startChdbHttpProcess, type ChdbHttpProcess } from '../../setup/chdb-http-process.js';
import { connectFeed, type FeedTestClient } from '../ws/support/feed-client.js';

/** What one feed client holds of each order, and every break of the protocol it saw. */
class Ledger {
  readonly versions = new Map<string, { version: number; deleted: boolean }>();
  readonly violations: string[] = [];
  deltas = 0;
  gaps = 0;
  constructor(
    readonly name: string,
    /** Connected before the first event: every order's first delta must start from version 0. */
    readonly fromStart: boolean,
  ) {}

  read(m: Record<string, any>): void {
    if (m.type === 'snapshot') {
      for (const view of m.orders as Array<{ order_id: string; version: number }>) this.versions.set(view.order_id, { version: view.version, deleted: false });
      if (m.reason === 'gap') this.gaps += m.orders.length;
    } else if (m.type === 'delta') {
      this.deltas++;
      const held = this.versions.get(m.order_id);
      const expectedFrom = held?.version ?? (this.fromStart ? 0 : m.from_version);
      // A client behind gets its pending deltas of an order combined (from_version → version): still contiguous.
      if (m.from_version !== expectedFrom || m.version <= m.from_version) {
        this.violations.push(`${this.name}: ${m.order_id} delta ${m.from_version}→${m.version} while holding v${held?.version ?? 'none'}`);
      }
      this.versions.set(m.order_id, { version: m.version, deleted: false });
    } else if (m.type === 'deleted') {
      const held = this.versions.get(m.order_id);
      if (m.version !== null && held !== undefined && m.version !== held.version + 1) this.violations.push(`${this.name}: ${m.order_id} deleted at v${m.version} while holding v${held.version}`);
      this.versions.set(m.order_id, { version: m.version ?? (held?.version ?? 0) + 1, deleted: true });
    }
  }
}

interface Watcher {
  ledger: Ledger;
  client: FeedTestClient;
  /** Messages of `client` already read into the ledger. */
  read: number;
}

async function watch(http: WorkerHttp, ledger: Ledger, versions?: Record<string, number>): Promise<Watcher> {
  const client = await connectFeed(`ws://127.0.0.1:${http.port}/ws`, { token: http.token });
  client.send({ type: 'subscribe', id: 'all', filter: {}, ...(versions ? { versions } : {}) });
  await client.next((m) => m.type === 'subscribed');
  return { ledger, client, read: 0 };
}

function drain(w: Watcher): void {
  for (; w.read < w.client.messages.length; w.read++) w.ledger.read(w.client.messages[w.read] as Record<string, any>);
}

/**
 * Three workers in one consumer group, on one ClickHouse (chDB behind ClickHouse's HTTP interface,
 * its own process), with a feed client on each while the load runs; then one worker stops (its
 * client resumes on another worker) and a fourth joins (a client subscribes there mid-stream).
 * Every client's deltas for every order are contiguous — no gap, no duplicate — and end at the
 * golden table's version: each worker's feed carries every order, whoever owns it.
 */
describe('several workers: the live feed of any worker carries every order', () => {
  const k = useTestKafka();
  const workers = workerReaper();
  let clickhouse: ChdbHttpProcess | undefined;
  afterEach(async () => {
    await workers.killAll();
    await clickhouse?.stop();
  });

  it('gives every client contiguous deltas of every order, across a worker leaving and one joining', { timeout: 600_000 }, async () => {
    const workDir = await mkdtemp(path.join(tmpdir(), 'orderlake-multi-'));
    clickhouse = await startChdbHttpProcess({ dataPath: path.join(workDir, 'clickhouse'), logFile: path.join(workDir, 'clickhouse.log') });
    const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
    await createSourceTopics(k.admin, topics, 3);
    const lines = generateScenario({ seed: 3131, orders: 300, startTime: Date.UTC(2026, 10, 25), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const expected = await expectedViews(lines);
    const encoder = createAvroEncoder({ registry: createHttpSchemaRegistry({ url: schemaRegistryUrl() }), schemas: await loadSchemas(path.join(REPO_ROOT, 'schemas')) });
    const messages = await encodeLines(encoder, lines, topics);
    const env = { ...newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), dir, workDir), partitions: 6 };
    const shared = { CLICKHOUSE_URL: clickhouse.url, KAFKA_SESSION_TIMEOUT_MS: '10000' };

    const start = async (name: string): Promise<{ worker: WorkerProcess; http: WorkerHttp }> => {
      const http = await workerHttp();
      const spawnedAt = performance.now();
      const worker = workers.track(await spawnWorker({ ...env, dataDir: path.join(workDir, name) }, name, { ...shared, ...http.env }));
      await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 180_000, intervalMs: 250 });
      return { worker, http };
    };
    const a = await start('worker-a');
    const b = await start('worker-b');
    const c = await start('worker-c');

    const watchers = [await watch(a.http, new Ledger('client-a', true)), await watch(b.http, new Ledger('client-b', true)), await watch(c.http, new Ledger('client-c', true))];

    // The load, at a steady rate, while the group changes.
    const producer = testProducer(k.kafka, { idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const producing = (async () => {
      for (let i = 0; i < messages.length; i += 20) {
        const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
        for (const m of messages.slice(i, i + 20)) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
        await sleep(100);
      }
    })();

    // A quarter of the way in: worker C stops (SIGTERM); its client resumes on worker A with what it holds.
    await waitFor(async () => (await topicEndOffsetSum(k.admin, `${env.topicPrefix}events`)) > lines.length / 4, { timeoutMs: 120_000, intervalMs: 200, describe: 'a quarter of the load' });
    expect(await stopWorker(c.worker)).toBe(0);
    const cWatcher = watchers[2]!;
    await cWatcher.client.closed;
    drain(cWatcher);
    const held = Object.fromEntries([...cWatcher.ledger.versions].filter(([, v]) => !v.deleted).map(([id, v]) => [id, v.version]));
    const resumed = await watch(a.http, cWatcher.ledger, held);
    watchers[2] = resumed;
    // Halfway: worker D joins; a client subscribes there mid-stream (snapshot, then deltas).
    await waitFor(async () => (await topicEndOffsetSum(k.admin, `${env.topicPrefix}events`)) > lines.length / 2, { timeoutMs: 120_000, intervalMs: 200, describe: 'half of the load' });
    const d = await start('worker-d');
    watchers.push(await watch(d.http, new Ledger('client-d', false)));

    const producedBeforeD = await topicEndOffsetSum(k.admin, `${env.topicPrefix}events`);
    await producing;
    await producer.disconnect();
    // Drained: every group has committed everything and the events topic is quiet.
    let previous = -1;
    await waitFor(
      async () => {
        const ingest = await groupLag(k.admin, `${env.groupId}.ingest`, Object.values(topics));
        const merge = await groupLag(k.admin, `${env.groupId}.merge`, [`${env.topicPrefix}events`]).catch(() => 1);
        const end = await topicEndOffsetSum(k.admin, `${env.topicPrefix}events`);
        const quiet = ingest === 0 && merge === 0 && end === previous;
        previous = end;
        return quiet;
      },
      { timeoutMs: 300_000, intervalMs: 1000, describe: 'the workers to drain' },
    );

    const client = createClient({ url: clickhouse.url });
    try {
      await expectGoldenTableEquals(client, env.database, expected);
      const golden = await readGoldenTable(client, env.database);
      // Every client ends at the table's version of every order (within the changelog's delay).
      await waitFor(
        async () => {
          for (const w of watchers) drain(w);
          return watchers.every((w) => [...golden].every(([id, view]) => w.ledger.versions.get(id)?.version === view.version));
        },
        { timeoutMs: 60_000, intervalMs: 250, describe: 'every client to reach the golden table versions' },
      ).catch((err: unknown) => {
        for (const w of watchers) {
          const behind = [...golden].filter(([id, view]) => w.ledger.versions.get(id)?.version !== view.version);
          console.log(`${w.ledger.name}: ${behind.length} orders not at the table's version, e.g. ${behind.slice(0, 3).map(([id, v]) => `${id} v${v.version} vs ${w.ledger.versions.get(id)?.version}`).join(', ')}`);
        }
        throw err;
      });
      for (const w of watchers) {
        console.log(`[multi-worker] ${w.ledger.name}: ${w.ledger.deltas} deltas, ${w.ledger.versions.size} orders, ${w.ledger.gaps} gap snapshots, ${w.ledger.violations.length} violations`);
        expect(w.ledger.violations.slice(0, 10)).toEqual([]);
        expect(w.ledger.gaps).toBe(0);
      }
      // Lookups on any worker give the newest version, whoever owns the order.
      const sample = [...golden].filter((_, i) => i % 15 === 0);
      for (const { http } of [a, b, d]) {
        for (const [orderId, view] of sample) {
          const res = await getJson(http, `/orders/${encodeURIComponent(orderId)}`, true);
          expect(res?.status, `${orderId} on ${http.base}`).toBe(200);
          expect(res!.body.version, `${orderId} on ${http.base}`).toBe(view.version);
        }
      }
      // D joined while the load ran: it took partitions over and its client got live deltas.
      console.log(`[multi-worker] worker D ready with ${producedBeforeD} of the events produced`);
      expect(producedBeforeD).toBeLessThan(lines.length);
      expect(watchers[3]!.ledger.deltas).toBeGreaterThan(0);
      // The owners' clients and the followers' carried the same orders.
      expect(watchers[0]!.ledger.versions.size).toBe(watchers[1]!.ledger.versions.size);
    } finally {
      await client.close();
    }
    for (const w of watchers) await w.client.close();
  });
});
