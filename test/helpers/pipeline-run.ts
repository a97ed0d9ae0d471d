import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { Admin, Kafka } from 'kafkajs';
import { generateScenario, type ReplayLine } from '../../src/simulator/index.js';
import { createNormalizer, eventUid, loadPipelines, type Normalizer, type SourcePosition } from '../../src/normalize/index.js';
import { createGoldenStore, createLocalRouter, createShipmentLinker, type GoldenViewBody } from '../../src/golden/index.js';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas, frameConfluent, type AvroEncoder } from '../../src/codecs/index.js';
import { createTopics, randomName, waitFor } from './kafka-topics.js';
import { testProducer } from './kafka-client.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A pipelines folder whose source topics carry a random prefix: each test gets its own topics. */
export async function pipelinesWithTopicPrefix(prefix: string): Promise<{ dir: string; topics: Record<string, string> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-pipelines-'));
  const topics: Record<string, string> = {};
  for (const file of await readdir(path.join(REPO_ROOT, 'pipelines'))) {
    if (!file.endsWith('.yaml')) continue;
    const doc = parse(await readFile(path.join(REPO_ROOT, 'pipelines', file), 'utf8')) as { topic: string };
    topics[doc.topic] = `${prefix}${doc.topic}`;
    doc.topic = topics[doc.topic]!;
    await writeFile(path.join(dir, file), stringify(doc));
  }
  // The health rules go with the pipelines (pipelines/rules/).
  await cp(path.join(REPO_ROOT, 'pipelines', 'rules'), path.join(dir, 'rules'), { recursive: true });
  return { dir, topics };
}

/** What the pure merge makes of a scenario: the oracle of the Kafka runs, the chaos run and the benchmarks. */
export interface PureMerge {
  /** Every order with a view at the end, its view without `version` and `updated_at`. */
  views: Map<string, GoldenViewBody>;
  /** `order id NUL event uid` of every event routed to an order: what the lake must hold, once each. */
  eventIds: Set<string>;
  /** Routed events reaching the merge (applied, duplicates and events after a delete together). */
  routedItems: number;
}

export async function pureMerge(lines: readonly ReplayLine[]): Promise<PureMerge> {
  const normalizer = createNormalizer(await loadPipelines(path.join(REPO_ROOT, 'pipelines')));
  return pureMergeWith(lines, { normalizerOf: () => normalizer });
}

/**
 * The pure merge of `lines`, each normalized by the normalizer `normalizerOf` gives it (the
 * production pipelines, or the configuration version that normalized it in a live-reload run) at
 * `positionOf` (default: its position within its topic, partition 0).
 */
export function pureMergeWith(
  lines: readonly ReplayLine[],
  options: { normalizerOf: (index: number, line: ReplayLine) => Normalizer; positionOf?: (index: number, line: ReplayLine) => SourcePosition },
): PureMerge {
  const store = createGoldenStore({ now: () => 0 });
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} }));
  const offsets = new Map<string, number>();
  const eventIds = new Set<string>();
  let routedItems = 0;
  for (const [i, line] of lines.entries()) {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    const position = options.positionOf?.(i, line) ?? { topic: line.topic, partition: 0, offset: String(offset), timestamp: 0 };
    const event = options.normalizerOf(i, line).normalize(line.topic, line.value, position);
    if (event === null) continue;
    const routed = route(event, 0);
    routedItems += routed.length;
    for (const r of routed) eventIds.add(`${r.orderId}\u0000${eventUid(r.event)}`);
    store.applyBatch(routed.map((r) => ({ orderId: r.orderId, event: r.event })));
  }
  const views = new Map<string, GoldenViewBody>();
  for (const id of store.orderIds()) {
    const view = store.get(id);
    if (view) views.set(id, stripVolatile(view));
  }
  return { views, eventIds, routedItems };
}

/** The golden views the pure merge computes from a scenario: the oracle for the Kafka runs. */
export async function expectedViews(lines: readonly ReplayLine[]): Promise<Map<string, GoldenViewBody>> {
  return (await pureMerge(lines)).views;
}

export function stripVolatile<T extends { version?: unknown; updated_at?: unknown }>(view: T): Omit<T, 'version' | 'updated_at'> {
  const { version: _v, updated_at: _u, ...rest } = view;
  return rest;
}

export interface Malformed {
  topic: string;
  key: string;
  value: Buffer | null;
  expectedCode: string;
}

/** Messages no pipeline may apply, one of each failure kind, keyed so the test can find them in the dead letters. */
export function malformedMessages(topics: Record<string, string>, count: number): Malformed[] {
  const wms = topics['wms.fulfillment.events']!;
  const tms = topics['tms.tracking.events']!;
  const kinds: Array<(i: number) => Malformed> = [
    (i) => ({ topic: wms, key: `bad-magic-${i}`, value: Buffer.from([7, 0, 0, 0, 1, 2, 3]), expectedCode: 'OL_ERR_CODEC_BAD_MAGIC' }),
    (i) => ({ topic: tms, key: `bad-short-${i}`, value: Buffer.from([0, 1]), expectedCode: 'OL_ERR_CODEC_TRUNCATED' }),
    (i) => ({ topic: tms, key: `bad-id-${i}`, value: frameConfluent(987_654, Buffer.from([2, 4, 6])), expectedCode: 'OL_ERR_CODEC_UNKNOWN_SCHEMA_ID' }),
    (i) => ({ topic: wms, key: `bad-tombstone-${i}`, value: null, expectedCode: 'OL_ERR_NORMALIZE_TOMBSTONE' }),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!(i));
}

/**
 * Encodes replay lines for their prefixed topics. Each topic's writer schemas are registered oldest
 * first (WMS v1 before v2), as a producer fleet upgraded over time registers them: a real registry
 * checks compatibility (BACKWARD), and v1 is not a compatible successor of v2.
 */
export async function encodeLines(
  encoder: AvroEncoder,
  lines: readonly ReplayLine[],
  topics: Record<string, string>,
): Promise<Array<{ topic: string; key: Buffer | null; value: Buffer | null }>> {
  await registerWriterSchemas(encoder, lines, topics);
  const encoded: Array<{ topic: string; key: Buffer | null; value: Buffer | null }> = [];
  for (const line of lines) {
    const topic = topics[line.topic]!;
    encoded.push({ topic, key: await encoder.encodeKey(topic, line.key), value: line.value === null ? null : await encoder.encode(topic, line.schema, line.value) });
  }
  return encoded;
}

/** Registers each topic's writer schemas of `lines`, oldest first (see `encodeLines`). */
export async function registerWriterSchemas(encoder: AvroEncoder, lines: readonly ReplayLine[], topics: Record<string, string>): Promise<void> {
  const firstOfSchema = new Map<string, ReplayLine>();
  for (const line of lines) {
    const pair = `${line.topic}\u0000${line.schema}`;
    if (line.value !== null && !firstOfSchema.has(pair)) firstOfSchema.set(pair, line);
  }
  for (const pair of [...firstOfSchema.keys()].sort()) {
    const line = firstOfSchema.get(pair)!;
    await encoder.encode(topics[line.topic]!, line.schema, line.value!);
  }
}

/** Produces the scenario (encoded with the writer schemas through the registry) and the malformed messages, shuffled together. */
export async function produceScenario(
  kafka: Kafka,
  registryUrl: string,
  lines: readonly ReplayLine[],
  topics: Record<string, string>,
  malformed: readonly Malformed[],
): Promise<number> {
  const schemas = await loadSchemas(path.join(REPO_ROOT, 'schemas'));
  const encoder = createAvroEncoder({ registry: createHttpSchemaRegistry({ url: registryUrl }), schemas });
  const producer = testProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const all = await encodeLines(encoder, lines, topics);
  // Spread the malformed messages through the stream, deterministically.
  malformed.forEach((m, i) => {
    all.splice(Math.floor(((i + 1) * all.length) / (malformed.length + 1)), 0, { topic: m.topic, key: Buffer.from(m.key), value: m.value });
  });
  for (let i = 0; i < all.length; i += 1000) {
    const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
    for (const m of all.slice(i, i + 1000)) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ key: m.key, value: m.value });
      byTopic.set(m.topic, list);
    }
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), acks: -1 });
  }
  await producer.disconnect();
  return all.length;
}

export async function createSourceTopics(admin: Admin, topics: Record<string, string>, partitions: number): Promise<void> {
  await createTopics(admin, Object.values(topics), partitions);
}

/** Total lag of a consumer group over topics (end offsets minus committed; uncommitted counts fully). */
export async function groupLag(admin: Admin, groupId: string, topicNames: string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics: topicNames });
  for (const t of committed) {
    const ends = await admin.fetchTopicOffsets(t.topic);
    for (const p of t.partitions) {
      const end = BigInt(ends.find((e) => e.partition === p.partition)?.high ?? '0');
      const done = p.offset === '-1' ? BigInt(ends.find((e) => e.partition === p.partition)?.low ?? '0') : BigInt(p.offset);
      lag += Number(end - done);
    }
  }
  return lag;
}

export async function topicEndOffsetSum(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}

export interface WorkerEnv {
  brokers: string[];
  registryUrl: string;
  pipelinesDir: string;
  dataDir: string;
  database: string;
  groupId: string;
  topicPrefix: string;
  partitions: number;
  /** Kafka client library of the worker (`KAFKA_CLIENT`); unset: the worker's default. */
  kafkaClient?: 'kafkajs' | 'rdkafka';
}

export interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

/** Starts a real `orderlake start` worker process on Kafka (the CLI, as an operator runs it). */
export async function spawnWorker(env: WorkerEnv, name: string, extraEnv: Record<string, string> = {}): Promise<WorkerProcess> {
  const logDir = path.join(env.dataDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/orderlake.js'), 'start'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_BROKERS: env.brokers.join(','),
      KAFKA_GROUP_ID: env.groupId,
      SCHEMA_REGISTRY_URL: env.registryUrl,
      ORDERLAKE_PIPELINES_DIR: env.pipelinesDir,
      ORDERLAKE_DATA_DIR: env.dataDir,
      CLICKHOUSE_DATABASE: env.database,
      ORDERLAKE_TOPIC_PREFIX: env.topicPrefix,
      ORDERLAKE_INTERNAL_PARTITIONS: String(env.partitions),
      ORDERLAKE_HTTP_PORT: '0',
      ORDERLAKE_FLUSH_INTERVAL_MS: '100',
      ...(env.kafkaClient ? { KAFKA_CLIENT: env.kafkaClient } : {}),
      ...extraEnv,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const exited = once(child, 'exit').then(([code]) => {
    log.end();
    return code as number | null;
  });
  return { child, logFile, exited };
}

/** Waits until the worker has consumed and committed everything and the internal topics are quiet. */
export async function waitUntilDrained(admin: Admin, env: WorkerEnv, sourceTopics: string[], worker: WorkerProcess, timeoutMs: number): Promise<void> {
  const eventsTopic = `${env.topicPrefix}events`;
  let previous = -1;
  let stableRounds = 0;
  await waitFor(
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}; see ${worker.logFile}`);
      const ingestLag = await groupLag(admin, `${env.groupId}.ingest`, sourceTopics);
      const mergeLag = await groupLag(admin, `${env.groupId}.merge`, [eventsTopic]).catch(() => Number.MAX_SAFE_INTEGER);
      const end = await topicEndOffsetSum(admin, eventsTopic).catch(() => -1);
      if (ingestLag === 0 && mergeLag === 0 && end === previous && end > 0) stableRounds++;
      else stableRounds = 0;
      previous = end;
      return stableRounds >= 3;
    },
    { timeoutMs, intervalMs: 500, describe: `worker ${worker.logFile} to drain every topic` },
  );
}

export async function stopWorker(worker: WorkerProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  return worker.exited;
}

export function newWorkerEnv(brokers: string[], registryUrl: string, pipelinesDir: string, dataDir: string): WorkerEnv {
  return {
    brokers,
    registryUrl,
    pipelinesDir,
    dataDir,
    database: randomName('ol').replace(/-/g, '_'),
    groupId: randomName('orderlake-it'),
    topicPrefix: `${randomName('ol')}.`,
    partitions: 4,
  };
}

export { generateScenario, randomName };

/** A scenario on fresh source topics of the run's broker, produced and ready for a worker. */
export interface KafkaScenario {
  topics: Record<string, string>;
  expected: Map<string, GoldenViewBody>;
  malformed: Malformed[];
  produced: number;
  env: WorkerEnv;
  dataDir: string;
}

/**
 * Shared set-up of the Kafka pipeline tests: ≥10,000 reference events (shuffled, ~10 % re-delivered,
 * WMS v1 and v2 mixed) plus `malformedCount` malformed messages on random source topics with three
 * partitions, the pure merge's views of them, and a worker environment on a fresh chDB directory.
 */
export async function prepareKafkaScenario(
  kafka: Kafka,
  admin: Admin,
  options: { brokers: string[]; registryUrl: string; seed: number; startTime: number; malformedCount: number; kafkaClient: 'kafkajs' | 'rdkafka' },
): Promise<KafkaScenario> {
  const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
  await createSourceTopics(admin, topics, 3);
  const lines = generateScenario({ seed: options.seed, orders: 700, startTime: options.startTime, duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
  if (lines.length < 10_000) throw new Error(`the scenario has only ${lines.length} events; the tests promise at least 10,000`);
  const malformed = malformedMessages(topics, options.malformedCount);
  const expected = await expectedViews(lines);
  const produced = await produceScenario(kafka, options.registryUrl, lines, topics, malformed);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-it-'));
  const env = { ...newWorkerEnv(options.brokers, options.registryUrl, dir, dataDir), kafkaClient: options.kafkaClient };
  return { topics, expected, malformed, produced, env, dataDir };
}
