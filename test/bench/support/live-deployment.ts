import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import WebSocket from 'ws';
import type { DeltaMessage, ServerMessage, SnapshotMessage } from '../../../src/api/ws/index.js';
import type { AvroEncoder } from '../../../src/codecs/index.js';
import type { GoldenView } from '../../../src/golden/index.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { pipelinesWithTopicPrefix } from '../../helpers/pipeline-run.js';
import { startChdbHttpProcess } from '../../setup/chdb-http-process.js';
import { REPO_ROOT } from './bench-result.js';
import { groupLag } from './consumer-lag.js';
import { prepareMessages, produceAll, registryEncoder, sourceProducer, startKafkaInfra, type KafkaInfra, type PreparedMessage } from './kafka-infra.js';
import { mergeOracle } from './merge-oracle.js';
import { referenceLines } from './reference-traffic.js';
import { epochNow } from './stats.js';
import { startWorkerProcess, type WorkerProcess } from './worker-process.js';

const WMS = 'wms.fulfillment.events';
const TMS = 'tms.tracking.events';

/**
 * The event id prefix of sampled benchmark events: a valid UUID prefix (WMS ids are UUIDs), found
 * in `lake_events.event_uid` with one LIKE, so the worker can watch them land in ClickHouse.
 */
export const SAMPLED_ID_PREFIX = '00000000-0000-4000-8000-';
export const SAMPLED_UID_PATTERN = `%|${SAMPLED_ID_PREFIX}%`;

/** An order the load updates: each update is a new WMS (or TMS) event copied from its newest one. */
export interface WatchedOrder {
  orderId: string;
  kind: 'wms' | 'tms';
  topic: string;
  key: string;
  schema: string;
  template: Record<string, unknown>;
  /** Distinct events of `kind` the order's view counts (its `sources.<kind>.events`) as last seen. */
  seenEvents: number;
}

/**
 * A running deployment for the latency and lookup benchmarks: a real broker and registry, one
 * Kafka worker process serving the HTTP/WebSocket API (more can join with `addWorker` when
 * ClickHouse is shared), a few thousand known orders loaded, and a set of watched orders followed
 * through a `ws` client on `/ws`.
 */
export interface LiveDeployment {
  infra: KafkaInfra;
  worker: WorkerProcess;
  url: string;
  tokens: { agent: string; analyst: string };
  topics: Record<string, string>;
  /** The worker's internal canonical-events topic (ingest → merge). */
  eventsTopic: string;
  /** The golden changelog topic the merge owners publish every version to (`<prefix>golden`). */
  goldenTopic: string;
  /** KAFKA_GROUP_ID: the stages' groups are `<group>.ingest`, `<group>.link`, `<group>.merge`. */
  group: string;
  /** The worker's ClickHouse database (its chDB is in the worker process: query it with `ch-query`). */
  database: string;
  encoder: AvroEncoder;
  producer: Producer;
  watched: WatchedOrder[];
  /** Every order id with a view (lookup targets). */
  knownOrders: string[];
  feed: FeedFollower;
  preload: { events: number; ms: number };
  /**
   * With `sharedClickHouse`: the chDB HTTP server every worker writes to (`CLICKHOUSE_URL`), so
   * more workers can join the first one; otherwise null (the worker's own in-process chDB).
   */
  clickhouseUrl: string | null;
  /**
   * Starts one more worker process in the same consumer group, with the same settings (`env`
   * added), and resolves once it reported its API address. Only with `sharedClickHouse`: workers
   * of one group must share one ClickHouse.
   */
  addWorker(name: string, env?: Record<string, string>): Promise<{ worker: WorkerProcess; url: string }>;
  /**
   * Waits until the worker has consumed and committed everything produced so far (ingest and
   * merge lag 0, twice in a row); false when `timeoutMs` passes first.
   */
  caughtUp(timeoutMs: number): Promise<{ caughtUp: boolean; why?: string }>;
  stop(): Promise<void>;
}

/** The `ws` client following the watched orders; deltas are handed to `onDelta` as they arrive. */
export interface FeedFollower {
  socket: WebSocket;
  onDelta: ((delta: DeltaMessage, receivedAt: number) => void) | null;
  deltas: number;
  /** Set when the server closed the connection (e.g. 4008: too slow a consumer). */
  closedWith: number | null;
  close(): Promise<void>;
}

/** A worker whose merge has not moved for this long while lag remains is stuck, not slow, ms. */
const STALL_MS = 30_000;

const hex = () => randomBytes(4).toString('hex');

export async function startLiveDeployment(
  bench: string,
  options: {
    orders: number;
    watched: number;
    client: string;
    partitions: number;
    progress: (m: string) => void;
    /** Run ClickHouse as a chDB HTTP server process of its own, which further workers can share (see `addWorker`). */
    sharedClickHouse?: boolean;
    /** Extra environment of the first worker (e.g. KAFKA_CLIENT_ID, ORDERLAKE_FLUSH_INTERVAL_MS). */
    workerEnv?: Record<string, string>;
  },
): Promise<LiveDeployment> {
  const infra = await startKafkaInfra(bench);
  const work = await mkdtemp(path.join(tmpdir(), `orderlake-bench-${bench}-`));
  const cleanups: Array<() => Promise<unknown>> = [() => infra.stop(), () => rm(work, { recursive: true, force: true })];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const { dir: pipelinesDir, topics } = await pipelinesWithTopicPrefix(`bench-${hex()}.`);
    cleanups.push(() => rm(pipelinesDir, { recursive: true, force: true }));
    const sourceTopics = Object.values(topics);
    await infra.admin.createTopics({
      topics: sourceTopics.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    const id = hex();
    const group = `bench-${bench}-${id}`;
    const prefix = `olb-${id}.`;
    const tokens = { agent: `agent-${randomUUID()}`, analyst: `analyst-${randomUUID()}` };
    let clickhouseUrl: string | null = null;
    if (options.sharedClickHouse) {
      const clickhouse = await startChdbHttpProcess({
        dataPath: path.join(work, 'clickhouse'),
        logFile: path.join(REPO_ROOT, 'test/.kafka/logs', `bench-${bench}-clickhouse-${id}.log`),
      });
      cleanups.push(() => clickhouse.stop());
      clickhouseUrl = clickhouse.url;
    }
    const workerEnv: Record<string, string> = {
      KAFKA_BROKERS: infra.brokers,
      KAFKA_CLIENT: options.client,
      SCHEMA_REGISTRY_URL: infra.registryUrl,
      KAFKA_GROUP_ID: group,
      ORDERLAKE_TOPIC_PREFIX: prefix,
      ORDERLAKE_INTERNAL_PARTITIONS: String(options.partitions),
      ORDERLAKE_PIPELINES_DIR: pipelinesDir,
      CLICKHOUSE_DATABASE: `bench_${bench.replaceAll('-', '_')}`,
      LOG_LEVEL: 'warn',
      // BENCH_HEALTH=off measures the worker without its health rules (on by default, as deployed).
      ...(process.env.BENCH_HEALTH ? { ORDERLAKE_HEALTH: process.env.BENCH_HEALTH } : {}),
      ...(clickhouseUrl ? { CLICKHOUSE_URL: clickhouseUrl } : {}),
    };
    const launch = async (name: string, env: Record<string, string>) => {
      const dir = path.join(work, name);
      const started = startWorkerProcess({
        mode: 'serve',
        env: { ...workerEnv, ORDERLAKE_DATA_DIR: dir, ...env },
        dataDir: dir,
        database: `bench_${bench.replaceAll('-', '_')}`,
        logFile: path.join(REPO_ROOT, 'test/.kafka/logs', `bench-${bench}-${name}-${id}.log`),
        tokens,
      });
      cleanups.push(() => started.stop());
      const ready = await started.first;
      if (ready.type !== 'ready' || !ready.url) throw new Error(`${name} did not report its API address`);
      return { worker: started, url: ready.url };
    };
    const { worker, url } = await launch('worker', options.workerEnv ?? {});

    options.progress(`worker up at ${url}; preloading ${options.orders} orders`);
    const lines = referenceLines(options.orders * 18.4, { seed: 31 });
    const oracle = await mergeOracle(lines);
    const encoder = await registryEncoder(infra.registryUrl);
    const producer = sourceProducer(infra.kafka);
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const preloadStarted = epochNow();
    await produceAll(producer, await prepareMessages(encoder, lines, topics));
    for (const deadline = epochNow() + 300_000; ; ) {
      const counters = await worker.request<{ merged: number }>({ cmd: 'counters' });
      if (counters.merged >= oracle.items) {
        const lag =
          (await groupLag(infra.admin, `${group}.ingest`, sourceTopics)) + (await groupLag(infra.admin, `${group}.merge`, [`${prefix}events`]));
        if (lag === 0) break;
      }
      if (epochNow() > deadline) throw new Error(`preload not merged in time (${counters.merged}/${oracle.items} events)`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const preloadMs = epochNow() - preloadStarted;
    const caughtUp = async (timeoutMs: number): Promise<{ caughtUp: boolean; why?: string }> => {
      let zero = 0;
      let lastMerged = -1;
      let lastProgressAt = epochNow();
      for (const deadline = epochNow() + timeoutMs; epochNow() < deadline; ) {
        const lag =
          (await groupLag(infra.admin, `${group}.ingest`, sourceTopics)) + (await groupLag(infra.admin, `${group}.merge`, [`${prefix}events`]));
        zero = lag === 0 ? zero + 1 : 0;
        if (zero >= 2) return { caughtUp: true };
        const { merged, eventsIn } = await worker.request<{ merged: number; eventsIn: number }>({ cmd: 'counters' });
        if (merged !== lastMerged) {
          lastMerged = merged;
          lastProgressAt = epochNow();
        } else if (epochNow() - lastProgressAt > STALL_MS) {
          return { caughtUp: false, why: `no merge progress for ${STALL_MS / 1000} s with ${lag} messages of lag (events taken in so far: ${eventsIn}, merged: ${merged})` };
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return { caughtUp: false, why: `lag not 0 after ${timeoutMs / 1000} s` };
    };
    options.progress(`${lines.length} events preloaded and committed in ${Math.round(preloadMs)} ms`);

    const candidates = watchCandidates(lines, topics);
    const knownOrders: string[] = [];
    const watched: WatchedOrder[] = [];
    for (const orderId of new Set(lines.flatMap((l) => (l.topic === WMS && l.value ? [String(l.value.external_order_no)] : [])))) {
      const response = await fetch(`${url}/orders/${encodeURIComponent(orderId)}`, { headers: { authorization: `Bearer ${tokens.agent}` } });
      if (response.status !== 200) {
        await response.arrayBuffer();
        continue;
      }
      const view = (await response.json()) as GoldenView;
      knownOrders.push(orderId);
      if (watched.length >= options.watched) continue;
      const wantTms = watched.length % 2 === 1;
      const pick = pickUpdate(view, candidates, wantTms) ?? pickUpdate(view, candidates, !wantTms);
      if (pick) watched.push(pick);
    }
    if (watched.length < options.watched) options.progress(`only ${watched.length} orders could be watched`);

    const feed = await followFeed(`${url.replace(/^http/, 'ws')}/ws`, tokens.agent, watched);
    cleanups.push(() => feed.close());
    return {
      infra,
      worker,
      url,
      tokens,
      topics,
      eventsTopic: `${prefix}events`,
      goldenTopic: `${prefix}golden`,
      group,
      database: `bench_${bench.replaceAll('-', '_')}`,
      encoder,
      producer,
      watched,
      knownOrders,
      feed,
      preload: { events: lines.length, ms: Math.round(preloadMs) },
      clickhouseUrl,
      async addWorker(name, env = {}) {
        if (clickhouseUrl === null) throw new Error('addWorker needs sharedClickHouse: every worker of a group must share one ClickHouse');
        return launch(name, env);
      },
      caughtUp,
      stop: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

interface Candidates {
  /** fulfillment id → newest WMS line of it */
  wms: Map<string, ReplayLine>;
  /** tracking no → newest TMS line of it */
  tms: Map<string, ReplayLine>;
}

function watchCandidates(lines: readonly ReplayLine[], topics: Record<string, string>): Candidates {
  const newest = (map: Map<string, ReplayLine>, key: string, line: ReplayLine) => {
    const held = map.get(key);
    if (!held || Number(held.value!.occurred_at) <= Number(line.value!.occurred_at)) map.set(key, line);
  };
  const wms = new Map<string, ReplayLine>();
  const tms = new Map<string, ReplayLine>();
  for (const line of lines) {
    if (line.value === null || topics[line.topic] === undefined) continue;
    if (line.topic === WMS) newest(wms, String(line.value.fulfillment_id), line);
    else if (line.topic === TMS) newest(tms, String(line.value.tracking_no), line);
  }
  return { wms, tms };
}

function pickUpdate(view: GoldenView, candidates: Candidates, tms: boolean): WatchedOrder | null {
  if (tms) {
    for (const s of view.shipments) {
      const line = candidates.tms.get(s.tracking_no);
      if (!line) continue;
      return {
        orderId: view.order_id,
        kind: 'tms',
        topic: TMS,
        key: s.tracking_no,
        schema: line.schema,
        template: { ...line.value!, order_ref: view.order_id },
        seenEvents: view.sources.tms?.events ?? 0,
      };
    }
    return null;
  }
  for (const f of view.fulfillments) {
    const line = candidates.wms.get(f.fulfillment_id);
    if (!line) continue;
    return {
      orderId: view.order_id,
      kind: 'wms',
      topic: WMS,
      key: f.fulfillment_id,
      schema: line.schema,
      template: { ...line.value! },
      seenEvents: view.sources.wms?.events ?? 0,
    };
  }
  return null;
}

/** Connects to `/ws`, subscribes to the watched orders and takes their event counts from the snapshot. */
export async function followFeed(url: string, token: string, watched: WatchedOrder[]): Promise<FeedFollower> {
  const socket = new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const follower: FeedFollower = {
    socket,
    onDelta: null,
    deltas: 0,
    closedWith: null,
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    },
  };
  socket.on('close', (code: number) => {
    follower.closedWith = code;
  });
  const byId = new Map(watched.map((w) => [w.orderId, w]));
  const snapshot = new Promise<SnapshotMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no snapshot within 30 s')), 30_000);
    socket.on('message', (data: Buffer) => {
      const receivedAt = epochNow();
      const message = JSON.parse(data.toString('utf8')) as ServerMessage;
      if (message.type === 'delta') {
        follower.deltas++;
        follower.onDelta?.(message, receivedAt);
      } else if (message.type === 'snapshot') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'error') {
        reject(new Error(`feed error ${message.code}: ${message.message}`));
      }
    });
  });
  socket.send(JSON.stringify({ type: 'subscribe', id: 'bench', filter: { order_ids: watched.map((w) => w.orderId) } }));
  for (const view of (await snapshot).orders) {
    const w = byId.get(view.order_id);
    if (w) w.seenEvents = view.sources[w.kind]?.events ?? 0;
  }
  return follower;
}

/**
 * The messages of one load step: event i updates watched order i mod W, `occurred_at` is its
 * intended send time, and every `sampleEvery`-th event carries a sampled id (see SAMPLED_ID_PREFIX).
 */
export function updateMessages(
  deployment: Pick<LiveDeployment, 'encoder' | 'topics' | 'watched'>,
  intended: Float64Array,
  sampleEvery: number,
  firstSeq: number,
): { messages: PreparedMessage[]; sampled: Map<string, number> } {
  const { encoder, topics, watched } = deployment;
  const messages: PreparedMessage[] = new Array(intended.length);
  const sampled = new Map<string, number>();
  const keys = new Map<string, Buffer>();
  for (let i = 0; i < intended.length; i++) {
    const w = watched[i % watched.length]!;
    const topic = topics[w.topic]!;
    const seq = firstSeq + i;
    const isSampled = seq % sampleEvery === 0;
    const eventId = isSampled ? `${SAMPLED_ID_PREFIX}${seq.toString(16).padStart(12, '0')}` : randomUUID();
    if (isSampled) sampled.set(`${w.kind}|${eventId}`, intended[i]!);
    const value = encoder.encodeKnown(topic, w.schema, { ...w.template, event_id: eventId, occurred_at: Math.floor(intended[i]!) });
    if (value === undefined) throw new Error(`writer schema ${w.schema} not registered for ${topic}`);
    let key = keys.get(w.key);
    if (!key) keys.set(w.key, (key = Buffer.from(w.key)));
    messages[i] = { topic, key, value };
  }
  return { messages, sampled };
}
