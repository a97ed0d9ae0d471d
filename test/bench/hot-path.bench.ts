/**
 * Hot path per core: decode + normalize (createIngestor) → route (createLocalRouter) → merge
 * (GoldenStore.applyBatch) of the reference traffic, in batches, against the physical floor of the
 * same bytes: raw avsc `type.fromBuffer` with each message's writer type (no frame, no reader
 * resolution, no normalize, no merge). Target: our logic costs at most 2× raw decode.
 * Run: `npx tsx test/bench/hot-path.bench.ts [--events 200000] [--batch 2000] [--rounds 5]`.
 * Profile: `npx tsx test/bench/hot-path.bench.ts --profile /tmp/hot-path.cpuprofile` profiles only the
 * measured stages (our code, three passes, no set-up, no baseline) through the inspector, and prints
 * the top self-time functions; `npm run bench -- hot-path --profile` does the same from the runner.
 * (`node --cpu-prof --import tsx test/bench/hot-path.bench.ts` profiles the whole process instead.)
 */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Session } from 'node:inspector';
import type { Type } from 'avsc';
import { pino } from 'pino';
import { CONFLUENT_HEADER_SIZE } from '../../src/codecs/index.js';
import { loadConfig } from '../../src/config.js';
import { createGoldenStore, createLocalRouter, createShipmentLinker } from '../../src/golden/index.js';
import { createCodec } from '../../src/main.js';
import { createIngestor } from '../../src/pipeline/ingest.js';
import type { RawMessage } from '../../src/pipeline/raw-message.js';
import { REPO_ROOT, round, row } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { formatSelfTime, topSelfTime, type SelfTime } from './support/cpu-profile.js';
import { batches, encodeTraffic, referenceLines } from './support/reference-traffic.js';
import { interleaved, median } from './support/stats.js';

const BENCH = 'hot-path';

/** A full garbage collection, without starting node with --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export interface HotPathDetails {
  events: number;
  batchRows: number;
  rounds: number;
  orders: number;
  mix: Record<string, number>;
  rawDecode: { medianMs: number; eventsPerSec: number; samplesMs: number[] };
  ours: { medianMs: number; eventsPerSec: number; samplesMs: number[] };
  /** our time / raw decode time: the "≤ 2× raw decode cost". */
  costRatio: number;
  /** One instrumented pass: where the time goes, ms and share of the total. */
  breakdown: Record<'decodeNormalize' | 'route' | 'merge', { ms: number; share: number }>;
  /** decodeKnown alone over every message (one pass), to split decode from normalize. */
  decodeOnlyMs: number;
  /** Heap the golden store and linker of one run keep after a full GC: what memory grows with. */
  retained: { bytes: number; perOrder: number; perEvent: number };
  /** With --profile: the top self-time functions of our stages. */
  profile?: { file: string; totalMs: number; top: SelfTime[] };
}

/** Captures a V8 CPU profile of `run` alone through the inspector, and writes it to `file`. */
async function profiled(file: string, run: () => Promise<void>): Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  try {
    await run();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

export async function runHotPathBench(options: { events: number; batchRows: number; rounds: number; profile?: string }) {
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ LOG_LEVEL: 'silent' }, REPO_ROOT);
  const codec = await createCodec(config, logger);
  progress(BENCH, `generating and encoding ~${options.events} reference events`);
  const lines = referenceLines(options.events);
  const { messages, writers } = await encodeTraffic(lines, { schemas: codec.schemas, encoder: codec.encoder });
  const bodies: Array<{ writer: Type; body: Buffer }> = [];
  const mix: Record<string, number> = {};
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    mix[m.topic] = (mix[m.topic] ?? 0) + 1;
    if (m.value !== null) bodies.push({ writer: writers[i]!, body: m.value.subarray(CONFLUENT_HEADER_SIZE) });
  }
  const batchList = batches(messages, options.batchRows);
  const now = Date.now;
  const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, now });
  // The writer schemas are registered by the encoder; let the decoder resolve them once, as a
  // consumer does on its first message of each schema id.
  await ingestor.ingestBatch(messages.slice(0, 5000));

  let sink = 0;
  const rawRun = () => {
    for (const { writer, body } of bodies) if (writer.fromBuffer(body) !== undefined) sink++;
  };
  let orders = 0;
  let keep: unknown = null;
  const oursRun = async (timing?: { decodeNormalize: number; route: number; merge: number }, retain = false) => {
    const store = createGoldenStore({ now });
    const route = createLocalRouter(createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} }));
    for (const batch of batchList) {
      const t0 = timing ? performance.now() : 0;
      const outcomes = await ingestor.ingestBatch(batch);
      const t1 = timing ? performance.now() : 0;
      const items = [];
      const receivedAt = now();
      for (const outcome of outcomes) {
        if (outcome.type !== 'event') continue;
        for (const routed of route(outcome.event, receivedAt)) items.push(routed);
      }
      const t2 = timing ? performance.now() : 0;
      sink += store.applyBatch(items).length;
      if (timing) {
        const t3 = performance.now();
        timing.decodeNormalize += t1 - t0;
        timing.route += t2 - t1;
        timing.merge += t3 - t2;
      }
    }
    orders = store.liveCount;
    if (retain) keep = { store, route };
  };

  progress(BENCH, `${messages.length} events in batches of ${options.batchRows}: warm-up`);
  rawRun();
  await oursRun();
  progress(BENCH, `${options.rounds} interleaved rounds`);
  const [rawMs, oursMs] = await interleaved(options.rounds, [rawRun, () => oursRun()]);

  const timing = { decodeNormalize: 0, route: 0, merge: 0 };
  await oursRun(timing);
  const total = timing.decodeNormalize + timing.route + timing.merge;
  const decodeStart = performance.now();
  for (const m of messages as RawMessage[]) if (m.value !== null && codec.decoder.decodeKnown(m.topic, m.value) !== undefined) sink++;
  const decodeOnlyMs = performance.now() - decodeStart;
  if (sink === 0) throw new Error('nothing was decoded or merged');
  // Memory the merge state keeps: heap after a full GC with one run's store and linker held,
  // minus the heap without them.
  const heapAfterGc = (): number => {
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = heapAfterGc();
  await oursRun(undefined, true);
  const retainedBytes = heapAfterGc() - heapBefore;
  if (keep === null) throw new Error('nothing retained');
  keep = null;
  let profile: ReturnType<typeof topSelfTime> | undefined;
  if (options.profile) {
    progress(BENCH, `profiling three passes of our stages into ${options.profile}`);
    await profiled(options.profile, async () => {
      for (let i = 0; i < 3; i++) await oursRun();
    });
    profile = topSelfTime(options.profile, 30);
    process.stderr.write(`top self time (${profile.totalMs} ms profiled):\n${formatSelfTime(profile.top)}\n`);
  }

  const raw = median(rawMs!);
  const ours = median(oursMs!);
  const n = messages.length;
  const details: HotPathDetails = {
    events: n,
    batchRows: options.batchRows,
    rounds: options.rounds,
    orders,
    mix,
    rawDecode: { medianMs: round(raw, 1), eventsPerSec: Math.round((n / raw) * 1000), samplesMs: rawMs!.map((v) => round(v, 1)) },
    ours: { medianMs: round(ours, 1), eventsPerSec: Math.round((n / ours) * 1000), samplesMs: oursMs!.map((v) => round(v, 1)) },
    costRatio: round(ours / raw, 2),
    breakdown: {
      decodeNormalize: { ms: round(timing.decodeNormalize, 1), share: round(timing.decodeNormalize / total, 3) },
      route: { ms: round(timing.route, 1), share: round(timing.route / total, 3) },
      merge: { ms: round(timing.merge, 1), share: round(timing.merge / total, 3) },
    },
    decodeOnlyMs: round(decodeOnlyMs, 1),
    retained: { bytes: retainedBytes, perOrder: Math.round(retainedBytes / orders), perEvent: Math.round(retainedBytes / n) },
    ...(profile ? { profile: { file: options.profile!, ...profile } } : {}),
  };
  const rows = [
    row({
      benchmark: BENCH,
      metric: `decode+normalize+merge, 1 core, batches of ${options.batchRows}`,
      value: details.ours.eventsPerSec,
      unit: 'events/s',
      baseline: details.rawDecode.eventsPerSec,
      baselineLabel: 'raw avsc fromBuffer',
      target: 'ratio ≥ 0.5 (cost ≤ 2× raw decode)',
      met: details.costRatio <= 2,
      note: `cost ${details.costRatio}× raw`,
    }),
    row({
      benchmark: BENCH,
      metric: `heap kept by the merge state (store + linker), ${orders.toLocaleString('en-US')} orders`,
      value: round(retainedBytes / 2 ** 20, 1),
      unit: 'MiB',
      baseline: null,
      baselineLabel: '',
      target: 'proportional to open orders',
      met: null,
      note: `${details.retained.perOrder.toLocaleString('en-US')} bytes per order, ${details.retained.perEvent} per event applied`,
    }),
  ];
  return { rows, details };
}

if (isMain(import.meta.url)) {
  await runBenchMain(BENCH, () =>
    runHotPathBench({
      events: numberArg('events', 200_000),
      batchRows: numberArg('batch', 2000),
      rounds: numberArg('rounds', 5),
      ...(stringArg('profile', '') ? { profile: stringArg('profile', '') } : {}),
    }),
  );
}
