/**
 * A Kafka worker process for the benchmarks: `startKafkaRuntime` (src/main.ts) exactly as
 * `orderlake start` runs it, in a process of its own (chDB allows one data directory per process,
 * and the load generator must not share this event loop). Driven over the IPC channel; see
 * worker-spec.ts. Started by worker-process.ts, never by hand.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { createAuthenticator } from '../../../src/api/index.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { loadConfig } from '../../../src/config.js';
import { startKafkaRuntime, type KafkaRuntime } from '../../../src/main.js';
import { LAKE_ENCODING, qualifiedTable } from '../../../src/sinks/index.js';
import { REPO_ROOT } from './bench-result.js';
import { groupLag } from './consumer-lag.js';
import { rdkafkaLoaded } from './raw-consumers.js';
import { mib, startRssSampler } from './rss-sampler.js';
import { epochNow } from './stats.js';
import type { DrainResult, ParentToWorker, WorkerRequest, WorkerSpec, WorkerToParent } from './worker-spec.js';

const spec = JSON.parse(process.env.BENCH_WORKER_SPEC ?? '{}') as WorkerSpec;

function send(message: WorkerToParent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

async function counterTotal(runtime: KafkaRuntime, name: 'eventsIn' | 'tombstones' | 'deadLetters'): Promise<number> {
  const metric = await runtime.metrics[name].get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

function mergedItems(runtime: KafkaRuntime): number {
  const c = runtime.store.counters();
  return c.applied + c.duplicates + c.afterDelete;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Period of the bench's own event-loop delay monitor, ms (as the runtime's metric samples). */
const LOOP_DELAY_RESOLUTION_MS = 10;

async function drain(runtime: KafkaRuntime, started: number, startedUp: number, ingestedAtStart: number): Promise<DrainResult> {
  const config = loadConfig(spec.env, REPO_ROOT);
  const kafka = new Kafka({ clientId: 'orderlake-bench-lag', brokers: config.KAFKA_BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const rss = startRssSampler(50);
  const cpuAtStart = process.cpuUsage();
  let cpuAtDone: NodeJS.CpuUsage = { user: 0, system: 0 };
  const deadline = startedUp + (spec.timeoutMs ?? 300_000);
  const group = config.KAFKA_GROUP_ID;
  let previousEnd = -1;
  let stable = 0;
  let doneAt = 0;
  let timedOut = false;
  try {
    for (;;) {
      const now = epochNow();
      if (now > deadline) {
        timedOut = true;
        doneAt = now;
        cpuAtDone = process.cpuUsage(cpuAtStart);
        break;
      }
      if (mergedItems(runtime) < (spec.expectedItems ?? 0)) {
        await sleep(25);
        continue;
      }
      const ingestLag = await groupLag(admin, `${group}.ingest`, spec.sourceTopics ?? []);
      const mergeLag = await groupLag(admin, `${group}.merge`, [config.topics.events]).catch(() => Number.MAX_SAFE_INTEGER);
      const end = (await admin.fetchTopicOffsets(config.topics.events)).reduce((s, p) => s + Number(p.high), 0);
      if (ingestLag === 0 && mergeLag === 0 && end === previousEnd) {
        stable++;
        if (stable === 1) {
          doneAt = now;
          cpuAtDone = process.cpuUsage(cpuAtStart);
        }
        if (stable >= 2) break;
      } else {
        stable = 0;
      }
      previousEnd = end;
      await sleep(50);
    }
  } finally {
    await admin.disconnect();
  }
  const peak = rss.stop();
  const drainMs = doneAt - startedUp;
  const total = spec.sourceMessages ?? 0;
  const cpuSeconds = (cpuAtDone.user + cpuAtDone.system) / 1e6;
  return {
    client: config.KAFKA_CLIENT,
    rdkafkaLoaded: rdkafkaLoaded(),
    startupMs: Math.round(startedUp - started),
    ingestedAtStart,
    drainMs: Math.round(drainMs),
    totalMs: Math.round(doneAt - started),
    eventsPerSec: Math.round(((total - ingestedAtStart) / drainMs) * 1000),
    eventsPerSecWithStartup: Math.round((total / (doneAt - started)) * 1000),
    cpuSeconds: Math.round(cpuSeconds * 100) / 100,
    eventsPerCpuSecond: cpuSeconds > 0 ? Math.round((total - ingestedAtStart) / cpuSeconds) : 0,
    mergedItems: mergedItems(runtime),
    orders: runtime.store.liveCount,
    timedOut,
    peakRssMiB: mib(peak),
  };
}

/** Polls the lake for sampled benchmark events and notes when each first became visible. */
function lakeWatcher(runtime: KafkaRuntime, database: string, logger: Logger) {
  const seen = new Map<string, { eventTime: number; seenAt: number }>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  return {
    start(since: number, pattern: string, intervalMs: number) {
      const table = qualifiedTable(database, LAKE_ENCODING.table);
      const poll = async () => {
        const askedAt = epochNow();
        const watermark = Math.floor(since);
        try {
          const result = await runtime.storage.reader.query({
            query: `SELECT event_uid, toUnixTimestamp64Milli(event_time) AS t FROM ${table} WHERE ingested_at >= fromUnixTimestamp64Milli({w:Int64}) AND event_uid LIKE {p:String}`,
            query_params: { w: watermark, p: pattern },
            format: 'JSONEachRow',
          });
          for (const r of (await result.json()) as Array<{ event_uid: string; t: string | number }>) {
            if (!seen.has(r.event_uid)) seen.set(r.event_uid, { eventTime: Number(r.t), seenAt: askedAt });
          }
        } catch (err) {
          logger.warn({ err }, 'lake poll failed');
        }
      };
      const loop = () => {
        running = poll().then(() => {
          if (timer !== null) timer = setTimeout(loop, intervalMs);
        });
      };
      timer = setTimeout(loop, 0);
    },
    get count() {
      return seen.size;
    },
    async collect() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await running;
      const out = [...seen].map(([uid, v]) => ({ uid, ...v }));
      seen.clear();
      return out;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(spec.env, REPO_ROOT);
  const logger = pino({ level: config.LOG_LEVEL }, pino.destination({ dest: spec.logFile, sync: false, mkdir: true }));
  const dataPath = `${spec.dataDir}/lake`;
  const started = epochNow();
  const runtime = await startKafkaRuntime(config, logger, { dataPath, database: spec.database });
  const startedUp = epochNow();

  if (spec.mode === 'drain') {
    const ingestedAtStart =
      (await counterTotal(runtime, 'eventsIn')) + (await counterTotal(runtime, 'tombstones')) + (await counterTotal(runtime, 'deadLetters'));
    const result = await drain(runtime, started, startedUp, ingestedAtStart);
    await runtime.close();
    await send({ type: 'drained', result });
    // chDB and the Kafka clients may keep handles open after close; the measurement is delivered.
    process.exit(0);
  }

  for (let ready = false; !ready; ) {
    ready = (await runtime.readiness()).ready;
    if (!ready) await sleep(100);
  }
  const tokens = spec.tokens ?? { agent: 'bench-agent', analyst: 'bench-analyst' };
  const app = await createRuntimeApi(config, logger, runtime, {
    dataPath,
    auth: createAuthenticator({
      tokens: [
        { token: tokens.agent, role: 'agent', name: 'bench-agent' },
        { token: tokens.analyst, role: 'analyst', name: 'bench-analyst' },
      ],
    }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const watcher = lakeWatcher(runtime, spec.database, logger);
  const rss = startRssSampler(100);
  let rssWindow = startRssSampler(100);
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  loopDelay.enable();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await app.close();
      await runtime.close();
    })());

  process.on('message', (raw: ParentToWorker) => {
    if (raw?.type !== 'request') return;
    void answer(raw.request)
      .then((data) => send({ type: 'reply', id: raw.id, data }))
      .catch((err: unknown) => send({ type: 'reply', id: raw.id, data: { error: String(err) } }));
  });
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));

  async function answer(request: WorkerRequest): Promise<unknown> {
    switch (request.cmd) {
      case 'loop-delay': {
        // The monitor records the time between runs of its timer; less the timer's period, the delay.
        const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4 - LOOP_DELAY_RESOLUTION_MS * 100) / 100);
        const figures = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
        loopDelay.reset();
        return figures;
      }
      case 'counters':
        return {
          merged: mergedItems(runtime),
          orders: runtime.store.liveCount,
          eventsIn: await counterTotal(runtime, 'eventsIn'),
          deadLetters: await counterTotal(runtime, 'deadLetters'),
          rssMiB: mib(process.memoryUsage.rss()),
          peakRssMiB: mib(rss.peak),
        };
      case 'ch-watch':
        watcher.start(request.since, request.pattern, request.intervalMs);
        return { watching: true };
      case 'ch-count':
        return watcher.count;
      case 'ch-collect':
        return watcher.collect();
      case 'rss': {
        const figures = { rssMiB: mib(process.memoryUsage.rss()), windowPeakMiB: mib(rssWindow.stop()) };
        rssWindow = startRssSampler(100);
        return figures;
      }
      case 'ch-query': {
        const result = await runtime.storage.reader.query({ query: request.query, query_params: request.params ?? {}, format: 'JSONEachRow' });
        return result.json();
      }
      case 'stop':
        await stop();
        return { stopped: true };
    }
  }
  await send({ type: 'ready', url });
}

main().catch(async (err: unknown) => {
  await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
