/**
 * Embedded end to end: simulator lines (encoded beforehand, as a producer would have written them)
 * → createEmbeddedRuntime's `pipeline.process` in batches → `storage.sink.flush()` on chDB, with
 * events/s and the process's peak RSS. Baseline, same process and bytes: raw avsc decode of each
 * value plus a raw JSONCompactEachRow insert of one lake row per message (the least any lake
 * must do). Target ≥ 150,000 events/s. Second figure: a replay file of ~100k events through the
 * real CLI (`node bin/orderlake.js replay FILE --quiet`), its own summary parsed.
 * Run: `npx tsx test/bench/embedded.bench.ts [--events 200000] [--batch 2000] [--replay-events 100000]`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { CONFLUENT_HEADER_SIZE } from '../../src/codecs/index.js';
import { loadConfig } from '../../src/config.js';
import { createEmbeddedRuntime } from '../../src/main.js';
import { LAKE_ENCODING, qualifiedTable, runMigrations } from '../../src/sinks/index.js';
import { REPO_ROOT, round, row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain } from './support/bench-main.js';
import { batches, encodeTraffic, referenceLines } from './support/reference-traffic.js';
import { mib, startRssSampler } from './support/rss-sampler.js';

const BENCH = 'embedded';
const TARGET_EPS = 150_000;
const RSS_BASELINE_LABEL = 'RSS before the run';
/** Keeping raw messages may cost at most a fifth of the throughput. */
const RAW_EVENTS_TARGET = 0.8;

interface ReplayFigure {
  events: number;
  lines: number;
  /** The CLI's own figure (pipeline start to views counted). */
  reportedSeconds: number;
  reportedEventsPerSec: number;
  /** Process spawn to exit, tsx compilation and chDB start included. */
  wallSeconds: number;
  summary: string;
}

export async function runEmbeddedBench(options: { events: number; batchRows: number; replayEvents: number }) {
  const logger = pino({ level: 'silent' });
  const dir = await mkdtemp(path.join(tmpdir(), 'orderlake-bench-embedded-'));
  const rows: BenchRow[] = [];
  let embeddedDetails: Record<string, unknown> = {};
  try {
    // BENCH_HEALTH=off: without the health rules (on by default, as deployed).
    const config = loadConfig({ ORDERLAKE_DATA_DIR: dir, LOG_LEVEL: 'silent', ...(process.env.BENCH_HEALTH ? { ORDERLAKE_HEALTH: process.env.BENCH_HEALTH } : {}) }, REPO_ROOT);
    const dataPath = path.join(dir, 'lake');
    const database = 'bench_embedded';
    const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true });
    try {
      progress(BENCH, `encoding ~${options.events} reference events (+ a warm-up scenario)`);
      const warmup = await encodeTraffic(referenceLines(10_000, { seed: 11, orderIdPrefix: 'WU-' }), { schemas: runtime.codec.schemas, encoder: runtime.codec.encoder });
      const { messages, writers } = await encodeTraffic(referenceLines(options.events), { schemas: runtime.codec.schemas, encoder: runtime.codec.encoder });
      for (const batch of batches(warmup.messages, options.batchRows)) await runtime.pipeline.process(batch);
      await runtime.storage.sink.flush();
      global.gc?.();

      progress(BENCH, `${messages.length} events through pipeline.process in batches of ${options.batchRows}, then flush`);
      const rssBefore = process.memoryUsage.rss();
      const rss = startRssSampler(20);
      const run = await timePipeline(runtime, messages, options.batchRows, () => rss.sample());
      const { ms, processedAt, started, events, deadLetters } = run;
      const peak = rss.stop();
      const pipelineEps = run.eventsPerSec;
      const stored = await runtime.storage.client.query({ query: `SELECT count() AS n FROM ${qualifiedTable(database, LAKE_ENCODING.table)}`, format: 'JSONEachRow' });
      const lakeRows = Number(((await stored.json()) as Array<{ n: string }>)[0]!.n);

      progress(BENCH, 'baseline: raw decode + raw JSONCompactEachRow insert of one lake row per message');
      const rawDatabase = 'bench_embedded_raw';
      await runtime.storage.client.command({ query: `DROP DATABASE IF EXISTS ${rawDatabase} SYNC` });
      await runMigrations({ client: runtime.storage.client, database: rawDatabase, logger });
      const table = qualifiedTable(rawDatabase, LAKE_ENCODING.table);
      const columns = LAKE_ENCODING.columns as [string, ...string[]];
      const insertRows = config.ORDERLAKE_BATCH_ROWS;
      const rawStarted = performance.now();
      let pending: unknown[][] = [];
      const now = Date.now();
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        if (m.value === null) continue;
        const record = writers[i]!.fromBuffer(m.value.subarray(CONFLUENT_HEADER_SIZE));
        pending.push(
          LAKE_ENCODING.values({
            event_uid: `${m.topic}|${m.partition}|${m.offset}`,
            source: m.topic.split('.')[0]!,
            kind: m.topic,
            order_id: '',
            owner_partition: 0,
            topic: m.topic,
            partition: m.partition,
            offset: m.offset,
            line: 0,
            event_time: now,
            kafka_time: m.timestamp,
            ingested_at: now,
            payload: JSON.stringify(record),
            order_version: 0,
          }),
        );
        if (pending.length >= insertRows) {
          await runtime.storage.client.insert({ table, columns, format: 'JSONCompactEachRow', values: pending });
          pending = [];
        }
      }
      if (pending.length > 0) await runtime.storage.client.insert({ table, columns, format: 'JSONCompactEachRow', values: pending });
      const rawMs = performance.now() - rawStarted;
      const rawEps = Math.round((messages.length / rawMs) * 1000);
      await runtime.storage.client.command({ query: `DROP DATABASE IF EXISTS ${rawDatabase} SYNC` });

      rows.push(
        row({
          benchmark: BENCH,
          metric: `pipeline.process + flush, batches of ${options.batchRows}`,
          value: pipelineEps,
          unit: 'events/s',
          baseline: rawEps,
          baselineLabel: 'raw decode + raw lake insert',
          target: `≥ ${TARGET_EPS.toLocaleString('en-US')} events/s`,
          met: pipelineEps >= TARGET_EPS,
        }),
        row({
          benchmark: BENCH,
          metric: 'peak RSS during the run',
          value: mib(peak),
          unit: 'MiB',
          baseline: mib(rssBefore),
          baselineLabel: RSS_BASELINE_LABEL,
          target: '',
          met: null,
        }),
      );
      embeddedDetails = {
        events: messages.length,
        batchRows: options.batchRows,
        ms: Math.round(ms),
        processMs: Math.round(processedAt - started),
        finalFlushMs: Math.round(started + ms - processedAt),
        eventsPerSec: pipelineEps,
        deadLetters,
        eventsAndTombstones: events,
        orders: runtime.store.liveCount,
        lakeRowsStored: lakeRows,
        peakRssMiB: mib(peak),
        rssBeforeMiB: mib(rssBefore),
        baseline: { ms: Math.round(rawMs), eventsPerSec: rawEps, insertRows },
      };
    } finally {
      await runtime.close();
    }

    // The cost of keeping every source message's bytes (raw_events, for the sandbox): the same
    // events through a runtime that keeps none, in the same run.
    progress(BENCH, `the same ${options.events} events with ORDERLAKE_RAW_EVENTS=off`);
    const offConfig = loadConfig({ ORDERLAKE_DATA_DIR: dir, LOG_LEVEL: 'silent', ORDERLAKE_RAW_EVENTS: 'off', ...(process.env.BENCH_HEALTH ? { ORDERLAKE_HEALTH: process.env.BENCH_HEALTH } : {}) }, REPO_ROOT);
    const offRuntime = await createEmbeddedRuntime(offConfig, logger, { dataPath: path.join(dir, 'lake-raw-off'), database: 'bench_embedded_raw_off', recreate: true });
    try {
      const warmup = await encodeTraffic(referenceLines(10_000, { seed: 11, orderIdPrefix: 'WU-' }), { schemas: offRuntime.codec.schemas, encoder: offRuntime.codec.encoder });
      const { messages } = await encodeTraffic(referenceLines(options.events), { schemas: offRuntime.codec.schemas, encoder: offRuntime.codec.encoder });
      for (const batch of batches(warmup.messages, options.batchRows)) await offRuntime.pipeline.process(batch);
      await offRuntime.storage.sink.flush();
      global.gc?.();
      const off = await timePipeline(offRuntime, messages, options.batchRows);
      const onEps = Number(embeddedDetails.eventsPerSec);
      const ratio = onEps / off.eventsPerSec;
      rows.push(
        row({
          benchmark: BENCH,
          metric: 'keeping raw messages (raw_events on, the default)',
          value: onEps,
          unit: 'events/s',
          baseline: off.eventsPerSec,
          baselineLabel: 'the same events with ORDERLAKE_RAW_EVENTS=off',
          target: `≥ ${RAW_EVENTS_TARGET}× the run without`,
          met: ratio >= RAW_EVENTS_TARGET,
          note: `${round(ratio, 2)}×`,
        }),
      );
      embeddedDetails = { ...embeddedDetails, rawEventsOff: { ms: Math.round(off.ms), eventsPerSec: off.eventsPerSec, ratioOnToOff: round(ratio, 3) } };
    } finally {
      await offRuntime.close();
    }

    progress(BENCH, `CLI replay of ~${options.replayEvents} events`);
    const replay = await cliReplay(dir, options.replayEvents);
    rows.push(
      row({
        benchmark: BENCH,
        metric: `CLI replay of a ${replay.lines}-line file (CLI's own figure)`,
        value: replay.reportedEventsPerSec,
        unit: 'events/s',
        baseline: null,
        baselineLabel: '',
        target: `≥ ${TARGET_EPS.toLocaleString('en-US')} events/s`,
        met: replay.reportedEventsPerSec >= TARGET_EPS,
        note: `wall ${replay.wallSeconds} s incl. start-up`,
      }),
    );
    return { rows, details: { embedded: embeddedDetails, replay } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `messages` through `pipeline.process` in batches, then the final flush: events/s over both. */
async function timePipeline(
  runtime: Awaited<ReturnType<typeof createEmbeddedRuntime>>,
  messages: Parameters<Awaited<ReturnType<typeof createEmbeddedRuntime>>['pipeline']['process']>[0],
  batchRows: number,
  afterBatch: () => void = () => undefined,
) {
  const started = performance.now();
  let events = 0;
  let deadLetters = 0;
  for (const batch of batches(messages, batchRows)) {
    const result = await runtime.pipeline.process(batch);
    events += result.events + result.tombstones;
    deadLetters += result.deadLetters;
    afterBatch();
  }
  const processedAt = performance.now();
  await runtime.storage.sink.flush();
  const ms = performance.now() - started;
  return { started, processedAt, ms, events, deadLetters, eventsPerSec: Math.round((messages.length / ms) * 1000) };
}

/** Writes a replay file and runs the installed command on it, as an operator would. */
async function cliReplay(dir: string, events: number): Promise<ReplayFigure> {
  const file = path.join(dir, 'replay.jsonl');
  const lines = referenceLines(events, { seed: 23 });
  const out = createWriteStream(file);
  for (const line of lines) if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/orderlake.js'), 'replay', file, '--quiet', '--data-dir', path.join(dir, 'replay-data'), '--database', 'bench_replay'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallSeconds = round((performance.now() - started) / 1000, 2);
  const time = /time\s+([\d.]+) s \((\d+) events\/s\)/.exec(stdout);
  const evts = /^\s*events\s+(\d+)/m.exec(stdout);
  if (code !== 0 || !time || !evts) throw new Error(`orderlake replay exited ${code}; stdout:\n${stdout}\nstderr:\n${stderr.slice(-2000)}`);
  return {
    events: Number(evts[1]),
    lines: lines.length,
    reportedSeconds: Number(time[1]),
    reportedEventsPerSec: Number(time[2]),
    wallSeconds,
    summary: stdout.trim(),
  };
}

if (isMain(import.meta.url)) {
  await runBenchMain(BENCH, () =>
    runEmbeddedBench({ events: numberArg('events', 200_000), batchRows: numberArg('batch', 2000), replayEvents: numberArg('replay-events', 100_000) }),
  );
}
