import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeltaMessage, SnapshotMessage } from '../../../src/api/ws/index.js';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';
import { loadConfig } from '../../../src/config.js';
import { startKafkaRuntime, type KafkaRuntime } from '../../../src/main.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { testKafka, testProducer } from '../../helpers/kafka-client.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { randomName, waitFor } from '../../helpers/kafka-topics.js';
import { createSourceTopics, groupLag, pipelinesWithTopicPrefix, produceScenario, REPO_ROOT, stripVolatile } from '../../helpers/pipeline-run.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { AGENT_TOKEN, startApiWithFeed, type ApiWithFeed } from '../../integration/ws/support/api-with-feed.js';
import { connectFeed, type FeedTestClient } from '../../integration/ws/support/feed-client.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.jsonl');
const FIXTURE_GOLDEN = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.golden.jsonl');
const WMS_TOPIC = 'wms.fulfillment.events';
const EVENTS = 1_000;
const WATCHED_ORDERS = 20;
/** Pacing between two produced events, ms: about 200 events per second. */
const PACE_MS = 5;
const GROUP = randomName('orderlake-latency');
const PREFIX = `${randomName('ol')}.`;

async function jsonLines<T>(file: string): Promise<T[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Push latency end to end, on real infrastructure: a Kafka worker (ingest, link and merge stages
 * in-process) on the test broker, the API with the live feed on top, and a WebSocket client
 * following a set of orders. Each WMS event produced to the source topic must come back as exactly
 * one delta; the time from just before the produce call to the delta's arrival is the figure
 * printed (a benchmark, not an assertion).
 */
describe('WebSocket push latency (Kafka → feed)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let runtime: KafkaRuntime;
  let api: ApiWithFeed;
  let client: FeedTestClient;
  let dataDir: string;
  let topics: Record<string, string>;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    const pipelines = await pipelinesWithTopicPrefix(`${randomName('lat')}.`);
    topics = pipelines.topics;
    await createSourceTopics(admin, topics, 3);
    dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-latency-'));
    // ORDERLAKE_TEST_LOG_FILE keeps the worker's log for a failed run.
    const logFile = process.env.ORDERLAKE_TEST_LOG_FILE;
    const config = loadConfig(
      {
        KAFKA_BROKERS: kafkaBrokers().join(','),
        SCHEMA_REGISTRY_URL: schemaRegistryUrl(),
        KAFKA_GROUP_ID: GROUP,
        ...(process.env.ORDERLAKE_TEST_KAFKA_CLIENT ? { KAFKA_CLIENT: process.env.ORDERLAKE_TEST_KAFKA_CLIENT } : {}),
        ORDERLAKE_TOPIC_PREFIX: PREFIX,
        ORDERLAKE_INTERNAL_PARTITIONS: '3',
        ORDERLAKE_PIPELINES_DIR: pipelines.dir,
        ORDERLAKE_DATA_DIR: dataDir,
        CLICKHOUSE_DATABASE: randomName('latency').replace(/-/g, '_'),
        ORDERLAKE_FLUSH_INTERVAL_MS: '100',
        LOG_LEVEL: logFile ? 'debug' : 'silent',
      },
      REPO_ROOT,
    );
    const logger = logFile ? pino({ level: 'debug' }, pino.destination({ dest: logFile, sync: true })) : pino({ level: 'silent' });
    const dataPath = path.join(dataDir, 'lake');
    runtime = await startKafkaRuntime(config, logger, { dataPath, database: config.CLICKHOUSE_DATABASE });
    await waitFor(async () => (await runtime.readiness()).ready, { timeoutMs: 120_000, intervalMs: 200, describe: 'the Kafka worker to be ready' });
    api = await startApiWithFeed({
      logger,
      metrics: runtime.metrics,
      store: runtime.store,
      feed: runtime.feed,
      client: runtime.storage.client,
      database: config.CLICKHOUSE_DATABASE,
      dataPath,
    });
    producer = testProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await client?.close();
    await api?.close();
    await producer?.disconnect();
    await runtime?.close();
    await admin?.disconnect();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`delivers one delta per produced event (${EVENTS} events) and reports produce → delta latency`, async () => {
    // Known orders first: the contract example through the real broker, checked against its golden views.
    const lines = await jsonLines<ReplayLine>(FIXTURE);
    const golden = await jsonLines<Record<string, unknown>>(FIXTURE_GOLDEN);
    await produceScenario(kafka, schemaRegistryUrl(), lines, topics, []);
    await waitFor(() => golden.every((g) => isDeepStrictEqual(stripVolatile(runtime.store.get(String(g.order_id)) ?? {}), g)), {
      timeoutMs: 120_000,
      intervalMs: 100,
      describe: 'the example orders to reach their golden views',
    });

    // Orders to follow, each with a fulfillment whose recorded WMS event serves as a template.
    const templates = new Map<string, ReplayLine>();
    for (const line of lines) if (line.topic === WMS_TOPIC && line.value !== null) templates.set(String(line.value.fulfillment_id), line);
    const watched: Array<{ orderId: string; template: ReplayLine; eventType: string }> = [];
    for (const g of golden) {
      const view = runtime.store.get(String(g.order_id))!;
      const fulfillment = view.fulfillments.find((f) => templates.has(f.fulfillment_id));
      if (fulfillment && watched.length < WATCHED_ORDERS) {
        watched.push({ orderId: view.order_id, template: templates.get(fulfillment.fulfillment_id)!, eventType: fulfillment.status });
      }
    }
    expect(watched).toHaveLength(WATCHED_ORDERS);

    client = await connectFeed(`${api.baseUrl.replace(/^http/, 'ws')}/ws`, { token: AGENT_TOKEN });
    client.send({ type: 'subscribe', id: 'latency', filter: { order_ids: watched.map((w) => w.orderId) } });
    const snapshot = await client.next<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snapshot.orders).toHaveLength(WATCHED_ORDERS);
    const version = new Map(snapshot.orders.map((o) => [o.order_id, o.version]));

    // One event in flight per order: the next event of an order waits for the delta of the previous one.
    const inFlight = new Map<string, number>();
    const latencies: number[] = [];
    const problems: string[] = [];
    client.socket.on('message', (data: Buffer) => {
      const at = performance.now();
      const message = JSON.parse(data.toString('utf8')) as DeltaMessage;
      if (message.type !== 'delta') return;
      const sentAt = inFlight.get(message.order_id);
      const held = version.get(message.order_id)!;
      if (sentAt === undefined) problems.push(`unexpected delta ${message.order_id} ${message.from_version}→${message.version}`);
      else if (message.from_version !== held || message.version !== held + 1) problems.push(`${message.order_id}: delta ${message.from_version}→${message.version}, held ${held}`);
      version.set(message.order_id, message.version);
      if (sentAt !== undefined) {
        latencies.push(at - sentAt);
        inFlight.delete(message.order_id);
      }
    });

    const schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
    const encoder = createAvroEncoder({ registry: createHttpSchemaRegistry({ url: schemaRegistryUrl() }), schemas });
    const topic = topics[WMS_TOPIC]!;
    const started = performance.now();
    let lastSend = 0;
    for (let i = 0; i < EVENTS; i++) {
      const target = watched[i % watched.length]!;
      if (inFlight.has(target.orderId)) {
        await waitFor(() => !inFlight.has(target.orderId), { timeoutMs: 60_000, intervalMs: 1, describe: `the delta of ${target.orderId}` }).catch(
          async (err: Error) => {
            const lag = {
              ingest: await groupLag(admin, `${GROUP}.ingest`, Object.values(topics)),
              merge: await groupLag(admin, `${GROUP}.merge`, [`${PREFIX}events`]),
            };
            const view = runtime.store.get(target.orderId);
            throw new Error(
              `${err.message} (event ${i}; ${latencies.length} deltas so far; store version ${view?.version}, client ${version.get(target.orderId)}; ` +
                `consumer lag ${JSON.stringify(lag)}; problems: ${problems.join('; ') || 'none'})`,
            );
          },
        );
      }
      const gap = PACE_MS - (performance.now() - lastSend);
      if (gap > 0) await new Promise((resolve) => setTimeout(resolve, gap));
      const value: Record<string, unknown> = { ...target.template.value!, event_id: `LAT-${i}-${randomName('e')}`, event_type: target.eventType, occurred_at: Date.now() };
      const key = await encoder.encodeKey(topic, String(value.fulfillment_id));
      const encoded = await encoder.encode(topic, target.template.schema, value);
      lastSend = performance.now();
      inFlight.set(target.orderId, lastSend);
      await producer.send({ topic, acks: -1, messages: [{ key, value: encoded }] });
    }
    await waitFor(() => inFlight.size === 0, { timeoutMs: 60_000, intervalMs: 5, describe: 'the last deltas' });
    const seconds = (performance.now() - started) / 1000;

    expect(problems).toEqual([]);
    expect(latencies).toHaveLength(EVENTS);
    for (const w of watched) expect(version.get(w.orderId), w.orderId).toBe(runtime.store.get(w.orderId)!.version);

    const sorted = [...latencies].sort((a, b) => a - b);
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    const pushed = (await runtime.metrics.pushLatencySource.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
    console.log(
      `[ws latency] ${EVENTS} WMS events → ${latencies.length} deltas in ${seconds.toFixed(1)} s (${WATCHED_ORDERS} orders, ≤1 in flight each, paced ${PACE_MS} ms): ` +
        `produce → delta p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1)!)}; ` +
        `server push-latency observations: ${pushed}`,
    );
    expect(pushed).toBeGreaterThanOrEqual(EVENTS);
  });
});
