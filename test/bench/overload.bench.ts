/**
 * Overload: one Kafka worker process (`startKafkaRuntime`, API and WebSocket feed, as `orderlake
 * start` runs it) gets an open-loop load of WMS/TMS updates of known orders in three phases without
 * a pause: a normal rate (the baseline, same worker, same run), then twice the sustainable rate for
 * 60 s, then the normal rate again for 30 s. Reported:
 * - peak resident memory of the worker process during the overload and the recovery, against the
 *   bound stated in RSS_BOUND_MIB (and the peak at the normal rate before);
 * - nothing lost: once the worker has caught up, every event sent is a row of `lake_events` (distinct
 *   event ids) and every watched order's golden row in `golden_orders` counts all of its events, and
 *   the feed delivered a delta for each;
 * - recovery: source → WebSocket delta latency (from the intended send time) in the 30 s after the
 *   load drops back, against the same latency at the normal rate before the overload.
 * The sustainable rate comes from the latency benchmark of the same `npm run bench` run when the
 * runner passes it (`--sustainable-rate`), else from BENCH_SUSTAINABLE_RATE, else 5,000 events/s;
 * the output says which. The normal rate is half the sustainable rate, so there is headroom to work
 * a backlog off. Everything is bounded in time (a few minutes; the catch-up at most 4 minutes).
 * Run: `npx tsx test/bench/overload.bench.ts [--sustainable-rate 5000] [--overload-factor 2]
 * [--overload-seconds 60] [--recovery-seconds 30] [--normal-rate 2500] [--rss-bound-mib 1536]`.
 */
import { qualifiedTable, LAKE_ENCODING, GOLDEN_ENCODING } from '../../src/sinks/index.js';
import { round, row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { SAMPLED_UID_PATTERN, startLiveDeployment, updateMessages, type LiveDeployment } from './support/live-deployment.js';
import type { PreparedMessage } from './support/kafka-infra.js';
import { schedule, sendOpenLoop, type OpenLoopReport } from './support/open-loop.js';
import { epochNow, summarize, type LatencySummary } from './support/stats.js';
import { createStreamTracker, type StreamTracker } from './support/stream-tracker.js';

const BENCH = 'overload';
const DEFAULT_SUSTAINABLE_RATE = 5000;
/**
 * The stated bound on the worker's resident memory under overload, MiB. A worker that buffered its
 * backlog would grow with it (60 s at 10,000 events/s is 600,000 events, several hundred MiB as
 * decoded objects); one that pauses fetching when its window of unacknowledged work is full stays
 * near its footprint at a normal rate (a few hundred MiB with chDB inside, measured here).
 */
const DEFAULT_RSS_BOUND_MIB = 1536;
/** A phase is sent a second at a time; the next second is built while this one is sent. */
const SEGMENT_MS = 1000;
/** Messages built between two yields to the event loop, so building never delays a send. */
const BUILD_CHUNK = 500;
const CATCH_UP_TIMEOUT_MS = 240_000;
const SETTLE_TIMEOUT_MS = 60_000;
/** Recovered: the p99 of the recovery's last 10 s is at most 2× the baseline p99, or 50 ms above it. */
const RECOVERED_WINDOW_MS = 10_000;
const recoveredBound = (baselineP99: number) => Math.max(2 * baselineP99, baselineP99 + 50);

interface Phase {
  name: 'before' | 'overload' | 'after';
  rate: number;
  seconds: number;
  start: number;
  end: number;
}

interface Segment {
  intended: Float64Array;
  messages: PreparedMessage[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Builds one segment of a phase in chunks, registering each chunk with the tracker before it can be
 * sent. Event ids are `SAMPLED_ID_PREFIX` + sequence number, so `lake_events` can count them all.
 */
async function buildSegment(deployment: LiveDeployment, tracker: StreamTracker, intended: Float64Array, firstSeq: number): Promise<Segment> {
  const messages: PreparedMessage[] = [];
  for (let i = 0; i < intended.length; i += BUILD_CHUNK) {
    const chunk = intended.subarray(i, i + BUILD_CHUNK);
    tracker.addSegment(chunk);
    const built = updateMessages(deployment, chunk, 1, firstSeq + i).messages;
    for (const m of built) messages.push(m);
    await yieldToLoop();
  }
  return { intended, messages };
}

/** Sends the phases back to back, open loop; returns one report per segment. */
async function sendPhases(deployment: LiveDeployment, tracker: StreamTracker, phases: Phase[]): Promise<{ reports: OpenLoopReport[]; sent: number }> {
  const segments: Array<{ start: number; rate: number; count: number }> = [];
  for (const phase of phases) {
    for (let t = phase.start; t < phase.end; t += SEGMENT_MS) {
      const span = Math.min(SEGMENT_MS, phase.end - t);
      segments.push({ start: t, rate: phase.rate, count: Math.round((phase.rate * span) / 1000) });
    }
  }
  let seq = 1;
  const build = (k: number) => {
    const s = segments[k]!;
    const first = seq;
    seq += s.count;
    return buildSegment(deployment, tracker, schedule(s.start, s.rate, s.count), first);
  };
  const reports: OpenLoopReport[] = [];
  let next: Promise<Segment> | null = build(0);
  for (let k = 0; next; k++) {
    const current: Segment = await next;
    next = k + 1 < segments.length ? build(k + 1) : null;
    reports.push(await sendOpenLoop(deployment.producer, current.messages, current.intended));
  }
  return { reports, sent: seq - 1 };
}

/** The worker's memory and merge progress once a second while the load runs. */
function sampleWorker(deployment: LiveDeployment, t0: number) {
  const series: Array<{ s: number; rssMiB: number; merged: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const c = await deployment.worker.request<{ rssMiB: number; merged: number }>({ cmd: 'counters' }).catch(() => null);
      if (c) series.push({ s: round((epochNow() - t0) / 1000, 1), rssMiB: c.rssMiB, merged: c.merged });
      await sleep(1000);
    }
  })();
  return {
    series,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Distinct benchmark event ids in the worker's lake, and the watched orders whose golden row counts every event sent. */
async function landed(deployment: LiveDeployment, tracker: StreamTracker): Promise<{ lakeDistinct: number; goldenComplete: number; goldenShort: string[] }> {
  const lake = qualifiedTable(deployment.database, LAKE_ENCODING.table);
  const [counted] = await deployment.worker.request<Array<{ n: string | number }>>({
    cmd: 'ch-query',
    query: `SELECT uniqExact(event_uid) AS n FROM ${lake} WHERE event_uid LIKE {p:String}`,
    params: { p: SAMPLED_UID_PATTERN },
  });
  const expected = tracker.expectedEventCounts();
  const golden = qualifiedTable(deployment.database, GOLDEN_ENCODING.table);
  const views = await deployment.worker.request<Array<{ order_id: string; view: string }>>({
    cmd: 'ch-query',
    query: `SELECT order_id, view FROM ${golden} FINAL WHERE order_id IN {ids:Array(String)}`,
    params: { ids: [...expected.keys()] },
  });
  let goldenComplete = 0;
  const goldenShort: string[] = [];
  const seen = new Map(views.map((v) => [v.order_id, v.view]));
  for (const [orderId, want] of expected) {
    const text = seen.get(orderId);
    const events = text ? (JSON.parse(text) as { sources?: Record<string, { events?: number } | null> }).sources?.[want.kind]?.events : undefined;
    if (events === want.events) goldenComplete++;
    else goldenShort.push(`${orderId}: ${events ?? 'no row'}/${want.events}`);
  }
  return { lakeDistinct: Number(counted?.n ?? 0), goldenComplete, goldenShort };
}

/** p50/p99 per `stepMs` of intended send time: the shape of the run. */
function latencySeries(tracker: StreamTracker, from: number, to: number, stepMs: number, giveUpAt: number) {
  const out: Array<{ s: number; p50: number; p99: number; undelivered: number }> = [];
  for (let t = from; t < to; t += stepMs) {
    const w = tracker.window(t, Math.min(to, t + stepMs), giveUpAt);
    out.push({ s: round((t - from) / 1000, 1), p50: w.p50, p99: w.p99, undelivered: w.undelivered });
  }
  return out;
}

export interface OverloadOptions {
  sustainableRate: number;
  sustainableSource: string;
  factor: number;
  overloadRate: number | null;
  normalRate: number | null;
  beforeSeconds: number;
  overloadSeconds: number;
  recoverySeconds: number;
  rssBoundMiB: number;
  client: string;
  orders: number;
  watched: number;
}

export async function runOverloadBench(options: OverloadOptions) {
  const overloadRate = options.overloadRate ?? Math.round(options.sustainableRate * options.factor);
  const normalRate = options.normalRate ?? Math.round(options.sustainableRate / 2);
  const label = options.client === 'kafkajs' ? BENCH : `${BENCH} (${options.client})`;
  progress(
    BENCH,
    `sustainable rate ${options.sustainableRate}/s (${options.sustainableSource}); overload ${overloadRate}/s for ${options.overloadSeconds} s, ` +
      `normal ${normalRate}/s for ${options.beforeSeconds} s before and ${options.recoverySeconds} s after`,
  );
  const deployment = await startLiveDeployment(BENCH, {
    orders: options.orders,
    watched: options.watched,
    client: options.client,
    partitions: 3,
    progress: (m) => progress(BENCH, m),
  });
  try {
    const capacity =
      Math.ceil(normalRate * (options.beforeSeconds + options.recoverySeconds) + overloadRate * options.overloadSeconds) + 4 * BUILD_CHUNK;
    const tracker = createStreamTracker(deployment.watched, capacity);
    deployment.feed.onDelta = (delta, at) => tracker.onDelta(delta, at);
    const mergedBefore = (await deployment.worker.request<{ merged: number }>({ cmd: 'counters' })).merged;
    await deployment.worker.request({ cmd: 'rss' });

    const t0 = epochNow() + 2000;
    const phases: Phase[] = [];
    let at = t0;
    for (const [name, rate, seconds] of [
      ['before', normalRate, options.beforeSeconds],
      ['overload', overloadRate, options.overloadSeconds],
      ['after', normalRate, options.recoverySeconds],
    ] as const) {
      phases.push({ name, rate, seconds, start: at, end: at + seconds * 1000 });
      at += seconds * 1000;
    }
    const [before, overload, after] = phases as [Phase, Phase, Phase];
    const sampler = sampleWorker(deployment, t0);
    // Memory per phase: the window peak is read (and restarted) at each phase boundary.
    const rssPeaks: Record<string, number> = {};
    const rssWatch = (async () => {
      for (const phase of phases) {
        await sleep(Math.max(0, phase.end - epochNow()));
        rssPeaks[phase.name] = (await deployment.worker.request<{ windowPeakMiB: number }>({ cmd: 'rss' })).windowPeakMiB;
        progress(BENCH, `${phase.name} (${phase.rate}/s) ended: worker peak RSS ${rssPeaks[phase.name]} MiB; ${tracker.delivered}/${tracker.sent} events reflected on the feed so far`);
      }
    })();
    const { reports, sent } = await sendPhases(deployment, tracker, phases);
    await rssWatch;
    const sendsDone = epochNow();

    progress(BENCH, `${sent} events sent; waiting for the worker to work off what is left (at most ${CATCH_UP_TIMEOUT_MS / 1000} s)`);
    const catchUp = await deployment.caughtUp(CATCH_UP_TIMEOUT_MS);
    const caughtUpAfterMs = Math.round(epochNow() - sendsDone);
    rssPeaks.catchUp = (await deployment.worker.request<{ windowPeakMiB: number }>({ cmd: 'rss' })).windowPeakMiB;
    await sampler.stop();

    // The golden rows follow the merge on their own cadence: give them (and the feed) a bounded while.
    let check = await landed(deployment, tracker);
    for (const deadline = epochNow() + SETTLE_TIMEOUT_MS; epochNow() < deadline; ) {
      if (check.lakeDistinct >= sent && check.goldenComplete === deployment.watched.length && tracker.delivered >= sent) break;
      await sleep(1000);
      check = await landed(deployment, tracker);
    }
    const mergedAfter = (await deployment.worker.request<{ merged: number }>({ cmd: 'counters' })).merged;
    const giveUpAt = epochNow();
    deployment.feed.onDelta = null;

    const baseline = tracker.window(before.start, before.end);
    const during = tracker.window(overload.start, overload.end, giveUpAt);
    const recovery = tracker.window(after.start, after.end, giveUpAt);
    const recoveryTail = tracker.window(after.end - RECOVERED_WINDOW_MS, after.end, giveUpAt);
    const bound = recoveredBound(baseline.p99);
    const perSecond = latencySeries(tracker, after.start, after.end, 1000, giveUpAt);
    const firstGood = perSecond.findIndex((_, i) => perSecond.slice(i).every((s) => s.undelivered === 0 && s.p99 <= bound));
    const recoveredAfterS = firstGood < 0 ? null : perSecond[firstGood]!.s;
    const recovered = recoveryTail.undelivered === 0 && recoveryTail.p99 <= bound;
    const peakUnderLoad = Math.max(rssPeaks.overload ?? 0, rssPeaks.after ?? 0, rssPeaks.catchUp ?? 0);
    const lost = sent - Math.min(check.lakeDistinct, sent);
    const complete = lost === 0 && check.goldenComplete === deployment.watched.length;
    const maxSendLag = Math.max(...reports.map((r) => r.maxSendLagMs));
    const failedSends = reports.reduce((n, r) => n + r.failedSends, 0);
    progress(
      BENCH,
      `before p99 ${baseline.p99} ms; overload p50 ${during.p50} p99 ${during.p99} ms; after p50 ${recovery.p50} p99 ${recovery.p99} ms, last 10 s p99 ${recoveryTail.p99} ms ` +
        `(bound ${round(bound, 1)} ms, recovered ${recovered ? `after ${recoveredAfterS} s` : 'NO'}); lake ${check.lakeDistinct}/${sent}; golden ${check.goldenComplete}/${deployment.watched.length}; ` +
        `peak RSS ${peakUnderLoad} MiB (before ${rssPeaks.before} MiB); caught up ${catchUp.caughtUp ? `${caughtUpAfterMs} ms after the last send` : `NO: ${catchUp.why}`}`,
    );

    const rows: BenchRow[] = [
      row({
        benchmark: label,
        metric: `@${overloadRate}/s for ${options.overloadSeconds} s: worker peak RSS`,
        value: peakUnderLoad,
        unit: 'MiB',
        baseline: rssPeaks.before ?? null,
        baselineLabel: `peak RSS at ${normalRate}/s before`,
        target: `≤ ${options.rssBoundMiB} MiB (stated bound)`,
        met: peakUnderLoad <= options.rssBoundMiB,
        note: `overload ${rssPeaks.overload}, recovery ${rssPeaks.after}, catch-up ${rssPeaks.catchUp} MiB; sustainable ${options.sustainableRate}/s from ${options.sustainableSource}`,
      }),
      row({
        benchmark: label,
        metric: `@${overloadRate}/s for ${options.overloadSeconds} s: events lost`,
        value: lost,
        unit: 'events',
        baseline: null,
        baselineLabel: '',
        target: '0, and every golden row complete',
        met: complete,
        note:
          `${sent} sent, ${check.lakeDistinct} distinct in lake_events, ${check.goldenComplete}/${deployment.watched.length} golden rows count all their events, ` +
          `${tracker.delivered} reflected on the feed, merged +${mergedAfter - mergedBefore}` +
          (failedSends ? `, ${failedSends} failed sends` : '') +
          (catchUp.caughtUp ? `; caught up ${round(caughtUpAfterMs / 1000, 1)} s after the last send` : `; NOT caught up: ${catchUp.why}`) +
          (deployment.feed.closedWith !== null ? `; feed closed by the server (${deployment.feed.closedWith})` : ''),
      }),
      row({
        benchmark: label,
        metric: `@${overloadRate}/s for ${options.overloadSeconds} s: source → WebSocket p99 during the overload`,
        value: during.p99,
        unit: 'ms',
        baseline: baseline.p99,
        baselineLabel: `p99 at ${normalRate}/s before`,
        target: '',
        met: null,
        note: `p50 ${during.p50}, max ${during.max}${during.undelivered ? `, ${during.undelivered} undelivered` : ''}; producer max send lag ${maxSendLag} ms`,
      }),
      row({
        benchmark: label,
        metric: `back at ${normalRate}/s: source → WebSocket p99, last ${RECOVERED_WINDOW_MS / 1000} s of ${options.recoverySeconds} s`,
        value: recoveryTail.p99,
        unit: 'ms',
        baseline: baseline.p99,
        baselineLabel: `p99 at ${normalRate}/s before`,
        target: `recovers: ≤ max(2× before, before + 50 ms)`,
        met: recovered,
        note: `whole ${options.recoverySeconds} s: p50 ${recovery.p50}, p99 ${recovery.p99}; ${recoveredAfterS !== null ? `back under ${round(bound, 1)} ms from ${recoveredAfterS} s after the drop` : 'not back within the window'}`,
      }),
    ];
    return {
      rows,
      details: {
        client: options.client,
        sustainableRate: options.sustainableRate,
        sustainableSource: options.sustainableSource,
        phases: phases.map(({ name, rate, seconds }) => ({ name, rate, seconds })),
        sent,
        watchedOrders: deployment.watched.length,
        preload: deployment.preload,
        latency: { before: baseline, overload: during, after: recovery, afterLast10s: recoveryTail, recoveredBoundMs: round(bound, 2), recoveredAfterS },
        latencyEvery5s: latencySeries(tracker, t0, after.end, 5000, giveUpAt),
        recoveryPerSecond: perSecond,
        rssPeaksMiB: rssPeaks,
        rssBoundMiB: options.rssBoundMiB,
        workerSeries: sampler.series,
        check: { ...check, goldenShort: check.goldenShort.slice(0, 20) },
        mergedBefore,
        mergedAfter,
        catchUp: { ...catchUp, afterLastSendMs: caughtUpAfterMs },
        producer: { maxSendLagMs: maxSendLag, failedSends },
        feedClosedWith: deployment.feed.closedWith,
      },
    };
  } finally {
    await deployment.stop();
  }
}

/** Which sustainable rate to use, and where it came from (said in the output). */
function sustainable(): { rate: number; source: string } {
  const fromRunner = numberArg('sustainable-rate', Number.NaN);
  const source = stringArg('sustainable-source', '');
  if (Number.isFinite(fromRunner) && fromRunner > 0) {
    return { rate: fromRunner, source: source || (process.env.BENCH_SUSTAINABLE_RATE ? 'BENCH_SUSTAINABLE_RATE' : '--sustainable-rate') };
  }
  return { rate: DEFAULT_SUSTAINABLE_RATE, source: 'the configured default (no latency result in this run)' };
}

if (isMain(import.meta.url)) {
  const client = stringArg('client', 'kafkajs');
  const { rate, source } = sustainable();
  const optional = (name: string) => {
    const v = numberArg(name, Number.NaN);
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  await runBenchMain(client === 'kafkajs' ? BENCH : `${BENCH}-${client}`, () =>
    runOverloadBench({
      sustainableRate: rate,
      sustainableSource: source,
      factor: numberArg('overload-factor', 2),
      overloadRate: optional('overload-rate'),
      normalRate: optional('normal-rate'),
      beforeSeconds: numberArg('before-seconds', 10),
      overloadSeconds: numberArg('overload-seconds', 60),
      recoverySeconds: numberArg('recovery-seconds', 30),
      rssBoundMiB: numberArg('rss-bound-mib', DEFAULT_RSS_BOUND_MIB),
      client,
      orders: numberArg('orders', 2000),
      watched: numberArg('watched', 1000),
    }),
  );
}
