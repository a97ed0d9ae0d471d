/**
 * Kafka end to end: N reference events (default 100k) pre-produced to the five source topics of a
 * real broker, then a worker process running `startKafkaRuntime` (ingest, link and merge consumer
 * groups, ClickHouse on chDB) from the first offset until the merge group's lag is 0 and every
 * routed event is merged — for kafkajs and for node-rdkafka (KAFKA_CLIENT). Baselines: a raw consume
 * of the same topics with the same client, no processing; and the peer, ClickHouse's own Kafka table
 * engine inside chDB loading the same topics (`AvroConfluent` from the run's registry) into MergeTree
 * through materialized views, in a process of its own (support/clickhouse-kafka-peer.ts). The peer
 * only lands raw rows (no merge): the upper bound of this leg, not a like-for-like pipeline.
 * Targets (issue 9): ≥ 40,000 events/s with the faster client, and ≥ 0.8× the tuned peer.
 * Run: `npx tsx test/bench/kafka.bench.ts [--events 100000] [--partitions 6] [--clients kafkajs,rdkafka]
 * [--peer-tunings tuned,defaults]` (`--peer-tunings none` skips the peer).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipelinesWithTopicPrefix } from '../helpers/pipeline-run.js';
import { REPO_ROOT, round, row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { prepareMessages, produceAll, registryEncoder, sourceProducer, startKafkaInfra } from './support/kafka-infra.js';
import { PEER_SETTINGS, runClickHouseKafkaPeer, type PeerResult, type PeerTuning } from './support/clickhouse-kafka-peer.js';
import { mergeOracle } from './support/merge-oracle.js';
import { loadRdkafka, rawConsumeKafkajs, rawConsumeRdkafka, type RawConsumeResult } from './support/raw-consumers.js';
import { referenceLines } from './support/reference-traffic.js';
import { epochNow } from './support/stats.js';
import { runDrainWorker } from './support/worker-process.js';
import type { DrainResult } from './support/worker-spec.js';

const BENCH = 'kafka';
const TARGET_EPS = 40_000;
/** orderlake's Kafka → merged + committed over ClickHouse's own Kafka engine (tuned), same run. */
const TARGET_PEER_RATIO = 0.8;
const CLIENTS = ['kafkajs', 'rdkafka'] as const;
type Client = (typeof CLIENTS)[number];

const suffix = () => randomBytes(4).toString('hex');

interface ClientRun {
  client: Client;
  available: boolean;
  reason?: string;
  raw?: RawConsumeResult;
  pipeline?: DrainResult;
  error?: string;
}

interface PeerRun {
  tuning: PeerTuning;
  result?: PeerResult;
  error?: string;
}

export async function runKafkaBench(options: { events: number; partitions: number; clients: Client[]; peerTunings: PeerTuning[]; timeoutMs: number }) {
  const infra = await startKafkaInfra(BENCH);
  const work = await mkdtemp(path.join(tmpdir(), 'orderlake-bench-kafka-'));
  const runs: ClientRun[] = [];
  const peers: PeerRun[] = [];
  const cleanupDirs = [work];
  try {
    const { dir: pipelinesDir, topics } = await pipelinesWithTopicPrefix(`bench-${suffix()}.`);
    cleanupDirs.push(pipelinesDir);
    const sourceTopics = Object.values(topics);
    await infra.admin.createTopics({
      topics: sourceTopics.map((topic) => ({ topic, numPartitions: options.partitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    progress(BENCH, `generating ~${options.events} reference events and the pure merge's expectation`);
    const lines = referenceLines(options.events);
    const oracle = await mergeOracle(lines);
    const encoder = await registryEncoder(infra.registryUrl);
    const prepared = await prepareMessages(encoder, lines, topics);
    const producer = sourceProducer(infra.kafka);
    await producer.connect();
    const produceStarted = epochNow();
    await produceAll(producer, prepared);
    const produceMs = epochNow() - produceStarted;
    await producer.disconnect();
    progress(BENCH, `${prepared.length} messages produced to ${sourceTopics.length} topics × ${options.partitions} partitions in ${Math.round(produceMs)} ms`);

    for (const client of options.clients) {
      const run: ClientRun = { client, available: true };
      runs.push(run);
      if (client === 'rdkafka' && loadRdkafka() === null) {
        run.available = false;
        run.reason = 'node-rdkafka is not installed';
        progress(BENCH, `rdkafka: not available (${run.reason})`);
        continue;
      }
      try {
        progress(BENCH, `${client}: raw consume of ${prepared.length} messages`);
        const rawConsume = client === 'kafkajs' ? rawConsumeKafkajs : rawConsumeRdkafka;
        run.raw = await rawConsume(infra.brokers, sourceTopics, prepared.length, options.timeoutMs, `bench-raw-${client}-${suffix()}`);
        progress(BENCH, `${client}: raw ${run.raw.eventsPerSec} events/s; now the pipeline worker`);
        const id = suffix();
        const dataDir = path.join(work, `worker-${client}`);
        run.pipeline = await runDrainWorker({
          mode: 'drain',
          env: {
            KAFKA_BROKERS: infra.brokers,
            KAFKA_CLIENT: client,
            SCHEMA_REGISTRY_URL: infra.registryUrl,
            KAFKA_GROUP_ID: `bench-${client}-${id}`,
            ORDERLAKE_TOPIC_PREFIX: `olb-${id}.`,
            ORDERLAKE_PIPELINES_DIR: pipelinesDir,
            ORDERLAKE_DATA_DIR: dataDir,
            CLICKHOUSE_DATABASE: `bench_kafka_${client}`,
            LOG_LEVEL: 'warn',
          },
          dataDir,
          database: `bench_kafka_${client}`,
          logFile: path.join(REPO_ROOT, 'test/.kafka/logs', `bench-kafka-worker-${client}-${id}.log`),
          sourceMessages: prepared.length,
          expectedItems: oracle.items,
          expectedOrders: oracle.orders,
          sourceTopics,
          timeoutMs: options.timeoutMs,
        });
        if (client === 'rdkafka' && !run.pipeline.rdkafkaLoaded) {
          run.available = false;
          run.reason = 'the runtime ignored KAFKA_CLIENT=rdkafka (node-rdkafka never loaded): no rdkafka adapter wired into startKafkaRuntime yet';
          progress(BENCH, `rdkafka: not available (${run.reason})`);
          continue;
        }
        progress(BENCH, `${client}: pipeline ${run.pipeline.eventsPerSec} events/s (${run.pipeline.timedOut ? 'TIMED OUT' : 'drained'})`);
      } catch (err) {
        run.error = err instanceof Error ? err.message : String(err);
        progress(BENCH, `${client}: failed: ${run.error}`);
      }
    }

    // The peer reads the very topics the workers just read, in a consumer group of its own.
    const expectedRows = prepared.filter((m) => m.value !== null).length;
    for (const tuning of options.peerTunings) {
      const peer: PeerRun = { tuning };
      peers.push(peer);
      const id = suffix();
      progress(BENCH, `ClickHouse Kafka engine (${tuning}): loading ${expectedRows} rows (${prepared.length - expectedRows} tombstones are no rows)`);
      try {
        peer.result = await runClickHouseKafkaPeer(
          {
            brokers: infra.brokers,
            registryUrl: infra.registryUrl,
            topics,
            expectedRows,
            tuning,
            groupSuffix: id,
            dataDir: path.join(work, `ch-peer-${tuning}`),
            pollMs: 50,
            timeoutMs: Math.min(options.timeoutMs, 180_000),
          },
          path.join(REPO_ROOT, 'test/.kafka/logs', `bench-kafka-ch-peer-${tuning}-${id}.log`),
        );
        const r = peer.result;
        progress(
          BENCH,
          r.available
            ? `ClickHouse Kafka engine (${tuning}): ${r.rows}/${r.expectedRows} rows in ${r.ms} ms (first row at ${r.firstRowMs} ms), ` +
                `${r.eventsPerSecAfterFirstRow}/s after the first row, ${r.rowsPerCpuSecond} rows per CPU-second${r.timedOut ? ', TIMED OUT' : ''}`
            : `ClickHouse Kafka engine: not available (${r.reason})`,
        );
      } catch (err) {
        peer.error = err instanceof Error ? err.message : String(err);
        progress(BENCH, `ClickHouse Kafka engine (${tuning}): failed: ${peer.error}`);
      }
    }

    const rows: BenchRow[] = [];
    for (const run of runs) {
      if (!run.available) {
        rows.push(
          row({
            benchmark: BENCH,
            metric: `${run.client}: pipeline not available`,
            value: null,
            unit: 'events/s',
            baseline: run.raw?.eventsPerSec ?? null,
            baselineLabel: `raw ${run.client} consume`,
            target: '',
            met: null,
            note: run.reason ?? '',
          }),
        );
        continue;
      }
      const p = run.pipeline;
      const notes = [
        p ? `start-up ${round(p.startupMs / 1000, 1)} s, incl. it ${p.eventsPerSecWithStartup.toLocaleString('en-US')}/s` : '',
        p?.eventsPerCpuSecond ? `${p.eventsPerCpuSecond.toLocaleString('en-US')} events per CPU-second of the worker` : '',
        p?.timedOut ? 'TIMED OUT' : '',
        p && p.orders !== oracle.orders ? `orders ${p.orders} ≠ expected ${oracle.orders}` : '',
        run.error ? `error: ${run.error.split('\n')[0]!.slice(0, 160)}` : '',
      ].filter(Boolean);
      rows.push(
        row({
          benchmark: BENCH,
          metric: `${run.client}: ${prepared.length} events → merged + committed`,
          value: p && !p.timedOut ? p.eventsPerSec : null,
          unit: 'events/s',
          baseline: run.raw?.eventsPerSec ?? null,
          baselineLabel: `raw ${run.client} consume`,
          target: `≥ ${TARGET_EPS.toLocaleString('en-US')} (faster client)`,
          met: null,
          ...(notes.length ? { note: notes.join('; ') } : {}),
        }),
      );
    }
    const measured = runs.filter((r) => r.available && r.pipeline && !r.pipeline.timedOut);
    const fastest = measured.sort((a, b) => b.pipeline!.eventsPerSec - a.pipeline!.eventsPerSec)[0];
    rows.push(
      row({
        benchmark: BENCH,
        metric: `faster client (${fastest?.client ?? 'none'})`,
        value: fastest?.pipeline?.eventsPerSec ?? null,
        unit: 'events/s',
        baseline: fastest?.raw?.eventsPerSec ?? null,
        baselineLabel: `raw ${fastest?.client ?? ''} consume`,
        target: `≥ ${TARGET_EPS.toLocaleString('en-US')} events/s`,
        met: fastest ? fastest.pipeline!.eventsPerSec >= TARGET_EPS : null,
      }),
    );
    rows.push(...peerRows(peers, fastest?.client, fastest?.pipeline));
    return {
      rows,
      details: {
        events: prepared.length,
        sourcePartitions: options.partitions,
        internalPartitions: 12,
        expected: oracle,
        produceMs: Math.round(produceMs),
        brokerLog: infra.brokerLog,
        runs,
        peer: { what: "ClickHouse's Kafka table engine in chDB → MergeTree via materialized views; raw rows only, no merge", settings: PEER_SETTINGS, runs: peers },
      },
    };
  } finally {
    await infra.stop();
    for (const dir of cleanupDirs) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The peer's rows: its load rate, and orderlake's faster client over it (throughput and CPU). The
 * peer's rate is counted from its first visible row — its consumers' start-up and group join
 * excluded, as orderlake's figure excludes the worker's start-up — with the rate including
 * start-up in the note.
 */
function peerRows(peers: PeerRun[], client: Client | undefined, pipeline: DrainResult | undefined): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const peer of peers) {
    const r = peer.result;
    const label = `ClickHouse Kafka engine (chDB${r?.available ? ` ${r.clickhouse}` : ''}, ${peer.tuning === 'tuned' ? 'flush 100 ms, poll 50 ms, thread per consumer' : 'default settings'})`;
    if (!r || !r.available) {
      const why = r && !r.available ? r.reason : (peer.error ?? 'no result');
      rows.push(row({ benchmark: BENCH, metric: `${label}: not measured`, value: null, unit: 'events/s', baseline: null, baselineLabel: '', target: '', met: null, note: why.split('\n')[0]!.slice(0, 200) }));
      continue;
    }
    const complete = !r.timedOut && !r.gaveUp;
    rows.push(
      row({
        benchmark: BENCH,
        metric: `peer: ${label}, ${r.expectedRows} rows → MergeTree`,
        value: complete ? r.eventsPerSecAfterFirstRow : null,
        unit: 'events/s',
        baseline: null,
        baselineLabel: '',
        target: '',
        met: null,
        note: [
          `first row after ${round((r.firstRowMs ?? 0) / 1000, 1)} s, incl. it ${r.eventsPerSec.toLocaleString('en-US')}/s`,
          r.rowsPerCpuSecond ? `${r.rowsPerCpuSecond.toLocaleString('en-US')} rows per CPU-second` : '',
          complete ? '' : `INCOMPLETE ${r.rows}/${r.expectedRows}${r.gaveUp ? `: ${r.gaveUp}` : ''}`,
          r.consumerErrors.length ? `consumer error: ${r.consumerErrors[0]!.text.slice(0, 120)}` : '',
        ]
          .filter(Boolean)
          .join('; '),
      }),
    );
    if (peer.tuning !== 'tuned' || !complete || !pipeline || pipeline.timedOut) continue;
    const ratio = pipeline.eventsPerSec / r.eventsPerSecAfterFirstRow!;
    rows.push(
      row({
        benchmark: BENCH,
        metric: `orderlake (${client}) / ClickHouse Kafka engine (tuned): events/s`,
        value: pipeline.eventsPerSec,
        unit: 'events/s',
        baseline: r.eventsPerSecAfterFirstRow,
        baselineLabel: 'ClickHouse Kafka engine, tuned',
        target: `≥ ${TARGET_PEER_RATIO}× the peer and ≥ ${TARGET_EPS.toLocaleString('en-US')} events/s`,
        met: ratio >= TARGET_PEER_RATIO && pipeline.eventsPerSec >= TARGET_EPS,
      }),
    );
    if (pipeline.eventsPerCpuSecond > 0 && r.rowsPerCpuSecond) {
      rows.push(
        row({
          benchmark: BENCH,
          metric: `orderlake (${client}) / ClickHouse Kafka engine (tuned): events per CPU-second`,
          value: pipeline.eventsPerCpuSecond,
          unit: 'events/CPU-s',
          baseline: r.rowsPerCpuSecond,
          baselineLabel: 'ClickHouse Kafka engine, tuned (process CPU)',
          target: '',
          met: null,
          note: `worker ${pipeline.cpuSeconds} CPU-s (chDB and the Kafka client inside); peer ${r.cpuSeconds} CPU-s`,
        }),
      );
    }
  }
  return rows;
}

if (isMain(import.meta.url)) {
  const clients = stringArg('clients', CLIENTS.join(','))
    .split(',')
    .filter((c): c is Client => (CLIENTS as readonly string[]).includes(c));
  const peerTunings = stringArg('peer-tunings', 'tuned')
    .split(',')
    .filter((t): t is PeerTuning => t in PEER_SETTINGS);
  await runBenchMain(BENCH, () =>
    runKafkaBench({ events: numberArg('events', 100_000), partitions: numberArg('partitions', 6), clients, peerTunings, timeoutMs: numberArg('timeout-ms', 300_000) }),
  );
}
