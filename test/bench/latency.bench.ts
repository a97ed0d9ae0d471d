/**
 * Latency under load. An open-loop producer sends WMS and TMS updates of known orders at fixed
 * rates (1k, 5k, 20k events/s, then a short search for the highest sustainable rate) to a real
 * broker; one Kafka worker process (`startKafkaRuntime`, as `orderlake start` runs it) serves the
 * HTTP/WebSocket API, and a `ws` client in this process follows the updated orders on `/ws`.
 * Measured, from each event's *intended* send time (so a producer or system that falls behind
 * shows up in the figures — no coordinated omission):
 * - source event → WebSocket delta that reflects it: p50/p95/p99/max;
 * - source event → visible in ClickHouse `lake_events` (sampled events, polled by the worker): p50/p99;
 * - floor: raw kafkajs produce → consume of similar messages at the same rate, nothing else running;
 * - the worker's event-loop delay during each step (a monitor inside the worker child, exact
 *   percentiles, and the worker's own `orderlake_event_loop_delay_seconds` from GET /metrics), against
 *   the same worker idle for 3 s before the first step. Target: p99 ≤ 10 ms at 5k/s.
 * Targets: at 5k/s, p99 ≤ 25 ms and p50 ≤ 5 ms to the WebSocket; ClickHouse p99 ≤ 1 s.
 * Run: `npx tsx test/bench/latency.bench.ts [--rates 1000,5000,20000] [--seconds 8] [--client kafkajs]`.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { DeltaMessage } from '../../src/api/ws/index.js';
import { decodeEventMessage } from '../../src/pipeline/internal-messages.js';
import { round, row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { SAMPLED_ID_PREFIX, SAMPLED_UID_PATTERN, startLiveDeployment, updateMessages, type LiveDeployment } from './support/live-deployment.js';
import { schedule, sendOpenLoop, type OpenLoopReport } from './support/open-loop.js';
import { METRIC_NAMES } from '../../src/metrics.js';
import { histograms, quantileBetween, type HistogramSnapshot } from './support/prometheus-text.js';
import { epochNow, summarize, withLoopDelay, type LatencySummary } from './support/stats.js';

const BENCH = 'latency';
/**
 * A rate is sustainable when the pipeline keeps up with it: every event reached the feed, and the
 * latency did not grow during the step — the p50 of its last tenth is at most 2× (or 500 ms above)
 * the p50 of its first tenth. A structural delay is not a backlog; a growing one is.
 */
function keepsUp(step: { undelivered: number; wsSeriesP50: number[] }): boolean {
  const first = step.wsSeriesP50[0] ?? Number.NaN;
  const last = step.wsSeriesP50.at(-1) ?? Number.NaN;
  return step.undelivered === 0 && last <= Math.max(2 * first, first + 500);
}
const SUSTAINABLE_RULE = 'all delivered, latency not growing over the step';
/** How long the worker may take to work off a backlog after a step before the run stops, ms. */
const CATCH_UP_TIMEOUT_MS = 180_000;
/** How long after the last send the step waits for outstanding deltas, ms. */
const DRAIN_TIMEOUT_MS = 30_000;
const SAMPLE_EVERY = 50;
const CH_POLL_MS = 50;
/** How long the idle worker's loop delay is sampled before the first step, ms. */
const IDLE_LOOP_DELAY_MS = 3000;

interface StepResult {
  rate: number;
  events: number;
  send: OpenLoopReport;
  ws: LatencySummary;
  /** p50 of each tenth of the step, in send order: a rising series means the system fell behind. */
  wsSeriesP50: number[];
  /** Events whose delta never came within the drain timeout (counted in `ws` at the give-up time). */
  undelivered: number;
  clickhouse: LatencySummary & { sampled: number; missing: number };
  /** Sampled events on the worker's internal events topic (diagnostic): the ingest stage's share. */
  ingestHop: { appendedToEventsTopic: LatencySummary; readableFromEventsTopic: LatencySummary };
  /** Event-loop delay during the step in the worker (server) and in this process (producer + ws client), ms. */
  workerLoopDelay: LoopDelay;
  /** The same from the worker's `orderlake_event_loop_delay_seconds` (GET /metrics before and after the step; bucket-interpolated), ms. */
  workerLoopDelayMetric: LoopDelayMetric;
  clientLoopDelay: LoopDelay;
  floor: LatencySummary | null;
  sustainable: boolean;
  /** The worker worked off everything sent before the next step started, and how long it took. */
  caughtUp: boolean;
  catchUpMs: number;
  catchUpProblem?: string;
}

/** A step after which the run cannot go on (the worker is still buried in the last backlog). */
class StopSteps extends Error {}

type LoopDelay = { p50: number; p99: number; max: number };
type LoopDelayMetric = { p50: number; p99: number; probes: number; over10ms: number };

/** Worker loop delay target (issue 9): p99 ≤ 10 ms while ingesting 5,000 events/s. */
const TARGET_LOOP_DELAY_P99_MS = 10;

async function loopDelayHistogram(deployment: LiveDeployment): Promise<HistogramSnapshot | undefined> {
  return histograms(await (await fetch(`${deployment.url}/metrics`)).text(), METRIC_NAMES.eventLoopDelay)[0];
}

function loopDelayBetween(before: HistogramSnapshot | undefined, after: HistogramSnapshot | undefined): LoopDelayMetric {
  if (!after) return { p50: Number.NaN, p99: Number.NaN, probes: 0, over10ms: 0 };
  const ms = (q: number) => round(quantileBetween(q, before, after) * 1000, 2);
  const delta = (le: string) => (after.buckets[le] ?? 0) - (before?.buckets[le] ?? 0);
  return { p50: ms(0.5), p99: ms(0.99), probes: delta('+Inf'), over10ms: delta('+Inf') - delta('0.01') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Matches deltas to events by count: each update is a new distinct event of one source, so the
 * k-th update of an order is reflected once that order's `sources.<kind>.events` has grown by k.
 */
function deliveryTracker(deployment: LiveDeployment, intended: Float64Array) {
  const w = deployment.watched.length;
  const byOrder = new Map(deployment.watched.map((o, index) => [o.orderId, index]));
  const delivered = new Int32Array(w);
  const sentPerOrder = new Int32Array(w);
  for (let i = 0; i < intended.length; i++) sentPerOrder[i % w]!++;
  const latencies: number[] = [];
  /** latency by event index, for the time series (NaN until delivered). */
  const byEvent = new Float64Array(intended.length).fill(Number.NaN);
  let count = 0;
  const onDelta = (delta: DeltaMessage, receivedAt: number) => {
    const index = byOrder.get(delta.order_id);
    if (index === undefined) return;
    const order = deployment.watched[index]!;
    const sources = delta.fields.sources as Record<string, { events: number } | null> | undefined;
    const events = sources?.[order.kind]?.events;
    if (events === undefined) return;
    const reached = Math.min(events - order.seenEvents, sentPerOrder[index]!);
    for (let k = delivered[index]!; k < reached; k++) {
      const latency = receivedAt - intended[k * w + index]!;
      latencies.push(latency);
      byEvent[k * w + index] = latency;
      count++;
    }
    if (reached > delivered[index]!) delivered[index] = reached;
  };
  return {
    onDelta,
    get count() {
      return count;
    },
    /** Closes the step: undelivered events count at `giveUpAt`; the watched orders' counts move on. */
    /** p50 latency of each tenth of the step (by intended send time): flat when keeping up, rising when not. */
    series(): number[] {
      const tenth = Math.ceil(intended.length / 10);
      const out: number[] = [];
      for (let i = 0; i < intended.length; i += tenth) out.push(summarize(Array.from(byEvent.subarray(i, i + tenth)).filter((v) => !Number.isNaN(v))).p50);
      return out;
    },
    finish(giveUpAt: number): { latencies: number[]; undelivered: number } {
      let undelivered = 0;
      for (let index = 0; index < w; index++) {
        for (let k = delivered[index]!; k < sentPerOrder[index]!; k++) {
          latencies.push(giveUpAt - intended[k * w + index]!);
          undelivered++;
        }
        deployment.watched[index]!.seenEvents += delivered[index]!;
      }
      return { latencies, undelivered };
    },
  };
}

async function pipelineStep(
  deployment: LiveDeployment,
  tap: Awaited<ReturnType<typeof startEventsTap>>,
  rate: number,
  seconds: number,
  firstSeq: number,
): Promise<Omit<StepResult, 'floor' | 'sustainable' | 'caughtUp' | 'catchUpMs'>> {
  const count = Math.round(rate * seconds);
  const intended = schedule(epochNow() + 1500, rate, count);
  const { messages, sampled } = updateMessages(deployment, intended, SAMPLE_EVERY, firstSeq);
  tap.start(sampled);
  const tracker = deliveryTracker(deployment, intended);
  deployment.feed.onDelta = tracker.onDelta;
  await deployment.worker.request({ cmd: 'ch-watch', since: intended[0]!, pattern: SAMPLED_UID_PATTERN, intervalMs: CH_POLL_MS });
  const loopHistogramBefore = await loopDelayHistogram(deployment);
  await deployment.worker.request({ cmd: 'loop-delay' });
  const deadline = epochNow() + DRAIN_TIMEOUT_MS + seconds * 1000 + 1500;
  const { result: send, loopDelay: clientLoopDelay } = await withLoopDelay(async () => {
    const report = await sendOpenLoop(deployment.producer, messages, intended);
    while (tracker.count < count && epochNow() < deadline) await sleep(20);
    return report;
  });
  const workerLoopDelay = await deployment.worker.request<LoopDelay>({ cmd: 'loop-delay' });
  const workerLoopDelayMetric = loopDelayBetween(loopHistogramBefore, await loopDelayHistogram(deployment));
  const wsSeriesP50 = tracker.series();
  const { latencies, undelivered } = tracker.finish(epochNow());
  deployment.feed.onDelta = null;
  // The lake trails the feed by a flush; wait for the samples (bounded), then collect.
  const chDeadline = epochNow() + 10_000;
  while (epochNow() < chDeadline && (await deployment.worker.request<number>({ cmd: 'ch-count' })) < sampled.size) await sleep(100);
  const seen = await deployment.worker.request<Array<{ uid: string; seenAt: number }>>({ cmd: 'ch-collect' });
  const chLatencies: number[] = [];
  for (const s of seen) {
    const at = sampled.get(s.uid);
    if (at !== undefined) chLatencies.push(s.seenAt - at);
  }
  return {
    rate,
    events: count,
    send,
    ws: summarize(latencies),
    wsSeriesP50,
    undelivered,
    clickhouse: { ...summarize(chLatencies), sampled: sampled.size, missing: sampled.size - chLatencies.length },
    ingestHop: tap.collect(),
    workerLoopDelay,
    workerLoopDelayMetric,
    clientLoopDelay,
  };
}

/** Raw produce → consume on a topic of its own at the same rate: what Kafka alone costs here. */
export async function floorStep(deployment: LiveDeployment, consumer: { consumer: Consumer; topic: string; onMessage: ((v: Buffer, at: number) => void) | null }, rate: number, seconds: number) {
  const count = Math.round(rate * seconds);
  const intended = schedule(epochNow() + 500, rate, count);
  const payload = randomBytes(280);
  const messages = Array.from(intended, (t, i) => {
    const value = Buffer.alloc(8 + payload.length);
    value.writeDoubleBE(t, 0);
    payload.copy(value, 8);
    return { topic: consumer.topic, key: Buffer.from(`k${i % 1000}`), value };
  });
  const latencies: number[] = [];
  consumer.onMessage = (value, at) => latencies.push(at - value.readDoubleBE(0));
  await sendOpenLoop(deployment.producer, messages, intended);
  const deadline = epochNow() + 10_000;
  while (latencies.length < count && epochNow() < deadline) await sleep(20);
  consumer.onMessage = null;
  return summarize(latencies);
}

/**
 * A diagnostic tap on the worker's internal events topic: for sampled events, when the ingest
 * stage appended them (record timestamp) and when a consumer could read them, both from the
 * intended send time. Splits the pipeline's latency into the ingest hop and the merge hop.
 */
async function startEventsTap(deployment: LiveDeployment) {
  const consumer = deployment.infra.kafka.consumer({ groupId: `bench-tap-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  const marker = Buffer.from(SAMPLED_ID_PREFIX);
  const tap = { sampled: new Map<string, number>(), appended: [] as number[], readable: [] as number[] };
  let joined!: () => void;
  const join = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({ topics: [deployment.eventsTopic], fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = epochNow();
      for (const m of batch.messages) {
        if (!m.value || m.value.indexOf(marker) < 0) continue;
        const { event } = decodeEventMessage(m.value);
        // Sampled events are WMS and TMS updates, which carry an event id.
        const intendedAt = 'event_id' in event ? tap.sampled.get(`${event.kind}|${event.event_id}`) : undefined;
        if (intendedAt === undefined) continue;
        tap.appended.push(Number(m.timestamp) - intendedAt);
        tap.readable.push(at - intendedAt);
      }
    },
  });
  await join;
  return {
    consumer,
    start(sampled: Map<string, number>) {
      tap.sampled = sampled;
      tap.appended = [];
      tap.readable = [];
    },
    collect() {
      return { appendedToEventsTopic: summarize(tap.appended), readableFromEventsTopic: summarize(tap.readable) };
    },
  };
}

export async function startFloorConsumer(deployment: LiveDeployment, partitions: number) {
  const topic = `bench-floor-${randomBytes(4).toString('hex')}`;
  await deployment.infra.admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  const consumer = deployment.infra.kafka.consumer({ groupId: `${topic}-group`, maxWaitTimeInMs: 100 });
  const handle: { consumer: Consumer; topic: string; onMessage: ((v: Buffer, at: number) => void) | null } = { consumer, topic, onMessage: null };
  let joined!: () => void;
  const join = new Promise<void>((resolve) => (joined = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = epochNow();
      for (const m of batch.messages) if (m.value) handle.onMessage?.(m.value, at);
    },
  });
  await join;
  return handle;
}

export async function runLatencyBench(options: { rates: number[]; seconds: number; client: string; orders: number; watched: number; searchSteps: number }) {
  const label = options.client === 'kafkajs' ? BENCH : `${BENCH} (${options.client})`;
  const deployment = await startLiveDeployment(BENCH, {
    orders: options.orders,
    watched: options.watched,
    client: options.client,
    partitions: 3,
    progress: (m) => progress(BENCH, m),
  });
  const steps: StepResult[] = [];
  try {
    const floor = await startFloorConsumer(deployment, 3);
    const tap = await startEventsTap(deployment);
    // The loop delay's baseline: the same worker with nothing to ingest, just before the load.
    await deployment.worker.request({ cmd: 'loop-delay' });
    await sleep(IDLE_LOOP_DELAY_MS);
    const idleLoopDelay = await deployment.worker.request<LoopDelay>({ cmd: 'loop-delay' });
    progress(BENCH, `worker loop delay idle: p50 ${idleLoopDelay.p50} p99 ${idleLoopDelay.p99} max ${idleLoopDelay.max} ms`);
    let seq = 1;
    const measure = async (rate: number): Promise<StepResult> => {
      progress(BENCH, `${rate} events/s for ${options.seconds} s through the pipeline (${deployment.watched.length} orders)`);
      const step = await pipelineStep(deployment, tap, rate, options.seconds, seq);
      seq += step.events;
      const catchUpStarted = epochNow();
      const { caughtUp, why } = await deployment.caughtUp(CATCH_UP_TIMEOUT_MS);
      const catchUpMs = Math.round(epochNow() - catchUpStarted);
      await sleep(1000);
      const floorSummary = await floorStep(deployment, floor, rate, Math.min(options.seconds, 5));
      const sustainable = keepsUp(step);
      const result = { ...step, floor: floorSummary, sustainable, caughtUp, catchUpMs, ...(why ? { catchUpProblem: why } : {}) };
      progress(
        BENCH,
        `${rate}/s: ws p50 ${step.ws.p50} p99 ${step.ws.p99} max ${step.ws.max} ms (undelivered ${step.undelivered}); ` +
          `ClickHouse p50 ${step.clickhouse.p50} p99 ${step.clickhouse.p99} ms; floor p99 ${floorSummary.p99} ms; send lag max ${step.send.maxSendLagMs} ms; ` +
          `ingest hop (appended to events topic) p50 ${step.ingestHop.appendedToEventsTopic.p50} p99 ${step.ingestHop.appendedToEventsTopic.p99} ms; ` +
          `loop delay p99 worker ${step.workerLoopDelay.p99} ms (metric ${step.workerLoopDelayMetric.p99} ms), bench ${step.clientLoopDelay.p99} ms`,
      );
      steps.push(result);
      if (deployment.feed.closedWith !== null) throw new StopSteps(`the server closed the feed connection (code ${deployment.feed.closedWith})`);
      if (!caughtUp) throw new StopSteps(`the worker did not work off the ${rate}/s backlog: ${why}`);
      await sleep(2000);
      return result;
    };
    let stoppedEarly: string | undefined;
    try {
      for (const rate of options.rates) await measure(rate);
      // The highest sustainable rate: double past the last fixed rate while it holds, else bisect.
      let good = Math.max(0, ...steps.filter((s) => s.sustainable).map((s) => s.rate));
      let bad = Math.min(Number.POSITIVE_INFINITY, ...steps.filter((s) => !s.sustainable).map((s) => s.rate));
      for (let i = 0; i < options.searchSteps; i++) {
        const low = good === 0 ? Math.min(...options.rates) / 4 : good;
        const next = Number.isFinite(bad) ? Math.round((low + bad) / 2 / 250) * 250 : good * 2;
        if (next <= good || next >= bad || next === 0) break;
        const s = await measure(next);
        if (s.sustainable) good = next;
        else bad = next;
      }
    } catch (err) {
      if (!(err instanceof StopSteps)) throw err;
      stoppedEarly = err.message;
      progress(BENCH, `stopping: ${err.message}`);
    }
    await floor.consumer.disconnect();
    await tap.consumer.disconnect();

    const rows: BenchRow[] = [];
    for (const s of steps) {
      rows.push(
        row({
          benchmark: label,
          metric: `@${s.rate}/s source → WebSocket p99`,
          value: s.ws.p99,
          unit: 'ms',
          baseline: s.floor?.p99 ?? null,
          baselineLabel: 'raw Kafka produce→consume p99',
          target: s.rate === 5000 ? '≤ 25 ms' : '',
          met: s.rate === 5000 ? s.ws.p99 <= 25 : null,
          note: `p50 ${s.ws.p50}, p95 ${s.ws.p95}, max ${s.ws.max}${s.undelivered ? `, ${s.undelivered} undelivered` : ''}`,
        }),
      );
      if (s.rate === 5000) {
        rows.push(
          row({
            benchmark: label,
            metric: '@5000/s worker event-loop delay p99',
            value: s.workerLoopDelay.p99,
            unit: 'ms',
            baseline: idleLoopDelay.p99,
            baselineLabel: 'same worker idle, p99',
            target: `≤ ${TARGET_LOOP_DELAY_P99_MS} ms`,
            met: s.workerLoopDelay.p99 <= TARGET_LOOP_DELAY_P99_MS,
            note:
              `max ${s.workerLoopDelay.max}; ${METRIC_NAMES.eventLoopDelay} over the step: p99 ≈ ${s.workerLoopDelayMetric.p99}, ` +
              `${s.workerLoopDelayMetric.over10ms} of ${s.workerLoopDelayMetric.probes} probes > 10 ms`,
          }),
        );
        rows.push(
          row({
            benchmark: label,
            metric: '@5000/s source → WebSocket p50',
            value: s.ws.p50,
            unit: 'ms',
            baseline: s.floor?.p50 ?? null,
            baselineLabel: 'raw Kafka produce→consume p50',
            target: '≤ 5 ms',
            met: s.ws.p50 <= 5,
          }),
        );
      }
      rows.push(
        row({
          benchmark: label,
          metric: `@${s.rate}/s source → queryable in ClickHouse p99`,
          value: s.clickhouse.p99,
          unit: 'ms',
          baseline: null,
          baselineLabel: '',
          target: '≤ 1000 ms',
          met: s.clickhouse.missing === 0 ? s.clickhouse.p99 <= 1000 : false,
          note: `p50 ${s.clickhouse.p50}; ${s.clickhouse.sampled - s.clickhouse.missing}/${s.clickhouse.sampled} samples seen; poll ${CH_POLL_MS} ms`,
        }),
      );
    }
    const best = steps.filter((s) => s.sustainable).sort((a, b) => b.rate - a.rate)[0];
    rows.push(
      row({
        benchmark: label,
        metric: `highest sustainable rate tried (${SUSTAINABLE_RULE})`,
        value: best?.rate ?? null,
        unit: 'events/s',
        baseline: null,
        baselineLabel: '',
        target: '',
        met: null,
        note: [best ? `ws p99 ${best.ws.p99} ms at that rate` : '', stoppedEarly ? `search stopped: ${stoppedEarly}` : ''].filter(Boolean).join('; '),
      }),
    );
    const counters = await deployment.worker.request<Record<string, number>>({ cmd: 'counters' });
    const metricsText = await (await fetch(`${deployment.url}/metrics`)).text();
    const workerMetrics = Object.fromEntries(
      ['orderlake_push_latency_from_source_seconds', 'orderlake_push_latency_from_kafka_seconds', 'orderlake_batch_seconds', 'orderlake_sink_flush_seconds', 'orderlake_sink_flush_rows', METRIC_NAMES.eventLoopDelay].map(
        (name) => [name, histograms(metricsText, name)],
      ),
    );
    return {
      rows,
      details: {
        client: options.client,
        watchedOrders: deployment.watched.length,
        watchedKinds: { wms: deployment.watched.filter((w) => w.kind === 'wms').length, tms: deployment.watched.filter((w) => w.kind === 'tms').length },
        preload: deployment.preload,
        secondsPerStep: options.seconds,
        sampleEvery: SAMPLE_EVERY,
        clickhousePollMs: CH_POLL_MS,
        sustainableRule: SUSTAINABLE_RULE,
        idleLoopDelay,
        ...(stoppedEarly ? { stoppedEarly } : {}),
        feedDeltas: deployment.feed.deltas,
        worker: counters,
        /** The worker's own histograms over the whole run (preload included): where its time goes. */
        workerMetrics,
        steps: steps.map((s) => ({ ...s, ws: s.ws, send: s.send })),
        seconds: round(options.seconds, 1),
        wsClient: 'a real `ws` client in the benchmark process, subscribed on the API /ws feed of the worker process',
      },
    };
  } finally {
    await deployment.stop();
  }
}

if (isMain(import.meta.url)) {
  const client = stringArg('client', 'kafkajs');
  // Another client's figures go to latency-<client>.json, beside the default run's.
  await runBenchMain(client === 'kafkajs' ? BENCH : `${BENCH}-${client}`, () =>
    runLatencyBench({
      rates: stringArg('rates', '1000,5000,20000').split(',').map(Number),
      seconds: numberArg('seconds', 8),
      client,
      orders: numberArg('orders', 2000),
      watched: numberArg('watched', 1000),
      searchSteps: numberArg('search-steps', 2),
    }),
  );
}
