/**
 * Lookups while ingesting: `GET /orders/{id}` of known orders against the real HTTP server of a
 * Kafka worker process (port 0, loopback) while an open-loop producer feeds it 5,000 events/s.
 * A fetch load loop with bounded concurrency and a bounded duration and request count alternates
 * the lookup with `GET /health` (same server, same moment, no work: the HTTP floor, the baseline).
 * Target: lookup p99 ≤ 5 ms.
 * Run: `npx tsx test/bench/lookups.bench.ts [--seconds 15] [--concurrency 8] [--rate 5000]`.
 */
import { round, row } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain, stringArg } from './support/bench-main.js';
import { startLiveDeployment, updateMessages } from './support/live-deployment.js';
import { schedule, sendOpenLoop } from './support/open-loop.js';
import { epochNow, summarize, withLoopDelay } from './support/stats.js';

const BENCH = 'lookups';
const TARGET_P99_MS = 5;

export async function runLookupsBench(options: { seconds: number; concurrency: number; rate: number; maxRequests: number; client: string; orders: number }) {
  const deployment = await startLiveDeployment(BENCH, {
    orders: options.orders,
    watched: 1000,
    client: options.client,
    partitions: 3,
    progress: (m) => progress(BENCH, m),
  });
  try {
    // No feed client here: the lookups are what is measured, and this process should stay idle.
    await deployment.feed.close();
    const headers = { authorization: `Bearer ${deployment.tokens.agent}` };
    const orders = deployment.knownOrders;
    const failures: Record<string, number> = {};
    /** A closed-loop load of `concurrency` lanes alternating a lookup and /health, for `seconds`. */
    const load = async (seconds: number, maxRequests: number) => {
      const lookup: number[] = [];
      const health: number[] = [];
      let issued = 0;
      const deadline = epochNow() + seconds * 1000;
      const lane = async (first: number) => {
        for (let i = first; epochNow() < deadline && issued < maxRequests; i += options.concurrency) {
          issued++;
          const isLookup = i % 2 === 0;
          const target = isLookup ? `${deployment.url}/orders/${encodeURIComponent(orders[(i * 7919) % orders.length]!)}` : `${deployment.url}/health`;
          const t0 = performance.now();
          const response = await fetch(target, isLookup ? { headers } : {});
          await response.arrayBuffer();
          const ms = performance.now() - t0;
          if (response.status !== 200) failures[String(response.status)] = (failures[String(response.status)] ?? 0) + 1;
          else (isLookup ? lookup : health).push(ms);
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, (_, l) => lane(l)));
      return { lookup, health };
    };

    progress(BENCH, `idle lookups for ${Math.min(5, options.seconds)} s (no ingest)`);
    const idle = await load(Math.min(5, options.seconds), options.maxRequests);
    const idleLookups = summarize(idle.lookup);

    const ingestSeconds = options.seconds + 3;
    const intended = schedule(epochNow() + 1000, options.rate, Math.round(options.rate * ingestSeconds));
    const { messages } = updateMessages(deployment, intended, Number.MAX_SAFE_INTEGER, 1);
    progress(BENCH, `ingesting ${options.rate}/s for ${ingestSeconds} s; lookups for ${options.seconds} s from 2 s in, ${options.concurrency} in flight`);
    const ingest = sendOpenLoop(deployment.producer, messages, intended);
    while (epochNow() < intended[0]! + 2000) await new Promise((resolve) => setTimeout(resolve, 50));
    await deployment.worker.request({ cmd: 'loop-delay' });
    const started = epochNow();
    const { result: loaded, loopDelay: clientLoopDelay } = await withLoopDelay(() => load(options.seconds, options.maxRequests));
    const workerLoopDelay = await deployment.worker.request<{ p50: number; p99: number; max: number }>({ cmd: 'loop-delay' });
    const { lookup, health } = loaded;
    const elapsed = (epochNow() - started) / 1000;
    const send = await ingest;
    const lookups = summarize(lookup);
    const floor = summarize(health);
    const lookupsPerSec = Math.round(lookup.length / elapsed);
    const rows = [
      row({
        benchmark: BENCH,
        metric: `GET /orders/{id} p99 while ingesting ${options.rate}/s`,
        value: lookups.p99,
        unit: 'ms',
        baseline: floor.p99,
        baselineLabel: 'GET /health p99, same load',
        target: `≤ ${TARGET_P99_MS} ms`,
        met: lookups.p99 <= TARGET_P99_MS,
        note: `p50 ${lookups.p50}, max ${lookups.max}; worker loop delay p99 ${workerLoopDelay.p99} ms`,
      }),
      row({
        benchmark: BENCH,
        metric: 'GET /orders/{id} p99 with no ingest (same server, before the load)',
        value: idleLookups.p99,
        unit: 'ms',
        baseline: summarize(idle.health).p99,
        baselineLabel: 'GET /health p99, idle',
        target: '',
        met: null,
        note: `p50 ${idleLookups.p50}, ${Math.round(idle.lookup.length / Math.min(5, options.seconds))} lookups/s`,
      }),
      row({
        benchmark: BENCH,
        metric: `GET /orders/{id} requests/s (${options.concurrency} in flight, half of them /health)`,
        value: lookupsPerSec,
        unit: 'req/s',
        baseline: Math.round(health.length / elapsed),
        baselineLabel: 'GET /health req/s',
        target: '',
        met: null,
      }),
    ];
    return {
      rows,
      details: {
        client: options.client,
        seconds: round(elapsed, 2),
        concurrency: options.concurrency,
        knownOrders: orders.length,
        lookups,
        health: floor,
        idle: { lookups: idleLookups, health: summarize(idle.health) },
        lookupsPerSec,
        failures,
        /** Event-loop delay of the worker (server) and of this process (client) during the load, ms. */
        workerLoopDelay,
        clientLoopDelay,
        ingest: send,
        ingestRate: options.rate,
      },
    };
  } finally {
    await deployment.stop();
  }
}

if (isMain(import.meta.url)) {
  await runBenchMain(BENCH, () =>
    runLookupsBench({
      seconds: numberArg('seconds', 15),
      concurrency: numberArg('concurrency', 8),
      rate: numberArg('rate', 5000),
      maxRequests: numberArg('max-requests', 200_000),
      client: stringArg('client', 'kafkajs'),
      orders: numberArg('orders', 2000),
    }),
  );
}
