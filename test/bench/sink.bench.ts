/**
 * Sink benchmark: rows/s through createClickHouseSink (buffering, micro-batches of `batchRows`,
 * flush) into `lake_events` and `golden_orders` on chDB, at batch sizes 1k / 5k / 20k, against the
 * baseline of the same rows and batch size serialized in one go as a JSONCompactEachRow body and
 * handed to chDB as one Buffer (`insertEncoded`, the fastest path measured), plus the client's own
 * `client.insert` in JSONCompactEachRow and JSONEachRow to show why neither is used.
 * Every run gets fresh tables. Also records the longest event-loop stall seen during sink runs.
 * Run: `npx tsx test/bench/sink.bench.ts [--rows N]`; writes test/bench/results/sink.json.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import pino from 'pino';
import {
  createClickHouseClient,
  createClickHouseSink,
  insertEncoded,
  getGoldenView,
  GOLDEN_ENCODING,
  LAKE_ENCODING,
  qualifiedTable,
  runMigrations,
  type ClickHouseClient,
  type GoldenRow,
  type LakeRow,
  type TableEncoding,
} from '../../src/sinks/index.js';
import { row, type BenchRow } from './support/bench-result.js';
import { isMain, numberArg, progress, runBenchMain } from './support/bench-main.js';

const BENCH = 'sink';
const BATCH_SIZES = [1000, 5000, 20_000];
/** ORDERLAKE_BATCH_ROWS' default: the batch size the table reports. */
const DEFAULT_BATCH_ROWS = 5000;
/** Rows handed to the sink per write call, like one consumed Kafka batch. */
const WRITE_CHUNK = 500;
const T0 = Date.UTC(2026, 10, 27);

interface Run {
  table: string;
  batchRows: number;
  variant: 'sink' | 'raw Buffer' | 'raw JSONCompactEachRow' | 'raw JSONEachRow';
  rows: number;
  ms: number;
  rowsPerSec: number;
  /** Longest event-loop delay observed during the run (sink runs only), ms. */
  maxLoopStallMs?: number;
}

function lakeRows(n: number): LakeRow[] {
  return Array.from({ length: n }, (_, i) => {
    const orderId = `SO-${String(i % (n / 5)).padStart(7, '0')}`;
    const event = {
      kind: 'wms', source: 'wms', event_id: `0f8fad5b-d9cb-469f-a165-${String(i).padStart(12, '0')}`, event_type: 'SHIPPED',
      occurred_at: T0 + i, warehouse_id: 'WH-SH-01', fulfillment_id: `FF-${orderId}-1`, order_id: orderId, carrier: 'SF',
      tracking_no: `SF${String(i).padStart(10, '0')}`, reason: null, store_id: null,
    };
    return {
      event_uid: `wms|${event.event_id}`, source: 'wms', kind: 'wms', order_id: orderId, owner_partition: i % 12,
      topic: 'wms.fulfillment.events', partition: i % 6, offset: String(i), line: 0, event_time: T0 + i,
      kafka_time: T0 + i + 3, ingested_at: T0 + i + 9, payload: event,
    };
  });
}

function goldenRows(n: number): GoldenRow[] {
  return Array.from({ length: n }, (_, i) => {
    const orderId = `SO-${String(i).padStart(7, '0')}`;
    const at = (ms: number): string => new Date(T0 + ms).toISOString();
    const view = {
      order_id: orderId, channel: 'APP', currency: 'CNY', gift_order: false, buyer_note: null,
      customer: { id: `C-${i % 5000}`, name: '张三', phone: '13800138000', member_tier: 'GOLD' },
      ship_to: { name: '张三', phone: '13800138000', province: '上海市', city: '上海市', district: '浦东新区', line: '世纪大道 100 号', postcode: '200120' },
      address_changes: 0,
      lines: [1, 2].map((line_no) => ({ line_no, sku: `SKU-${line_no}`, name: `Item ${line_no}`, quantity: line_no, unit_price: '99.00' })),
      total_amount: '297.00', payment: { status: 'PAID', paid_at: at(60_000) },
      fulfillments: [{ fulfillment_id: `FF-${orderId}-1`, warehouse_id: 'WH-SH-01', store_id: null, status: 'SHIPPED', tracking_no: `SF${i}`, carrier: 'SF' }],
      shipments: [{ tracking_no: `SF${i}`, carrier: 'SF', status: 'IN_TRANSIT', location: 'Shanghai Hub', eta: at(86_400_000), delivered_at: null, exception_code: null }],
      after_sales: [], created_at: at(0), paid_at: at(60_000), promised_delivery_at: at(3 * 86_400_000), released_at: at(120_000),
      packed_at: at(3_600_000), shipped_at: at(7_200_000), delivered_at: null, cancelled_at: null, status: 'IN_TRANSIT', on_time: null,
      exceptions: [], sources: { crm: { last_event_at: at(60_000), events: 3 }, wms: { last_event_at: at(7_200_000), events: 4 }, tms: { last_event_at: at(9_000_000), events: 2 } },
      version: 9, updated_at: at(9_000_100),
    };
    return {
      order_id: orderId, version: 9, updated_at: T0 + 9_000_100, is_deleted: 0, owner_partition: i % 12, status: 'IN_TRANSIT',
      channel: 'APP', customer_id: view.customer.id, customer_phone: '13800138000', ship_phone: '13800138000',
      tracking_nos: [`SF${i}`], exceptions: [], created_at: T0, view,
    };
  });
}

function loopStallMeter(): () => number {
  let max = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last - 5);
    last = now;
  }, 5);
  return () => {
    clearInterval(timer);
    return Math.max(0, Math.round(max));
  };
}

async function freshDatabase(client: ClickHouseClient, n: number): Promise<string> {
  const database = `bench_${process.pid}_${n}`;
  await client.command({ query: `DROP DATABASE IF EXISTS ${database} SYNC` });
  await runMigrations({ client, database, logger: pino({ level: 'silent' }) });
  return database;
}

async function measureLookups(client: ClickHouseClient, database: string, orders: number): Promise<{ orders: number; lookups: number; p50Ms: number; p95Ms: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < 200; i++) {
    const orderId = `SO-${String(Math.floor(Math.random() * orders)).padStart(7, '0')}`;
    const started = performance.now();
    const view = await getGoldenView({ client, database, orderId });
    latencies.push(performance.now() - started);
    if (view === null) throw new Error(`lookup of ${orderId} found nothing`);
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => Number(latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2));
  return { orders, lookups: latencies.length, p50Ms: at(0.5), p95Ms: at(0.95) };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function runSinkBench(N: number): Promise<{ rows: BenchRow[]; details: unknown }> {
  const dataPath = path.join(tmpdir(), `orderlake-bench-chdb-${process.pid}`);
  const client = createClickHouseClient({ database: 'default', dataPath });
  const logger = pino({ level: 'silent' });
  const lake = lakeRows(N);
  const golden = goldenRows(N);
  const avgBytes = (rows: Array<{ payload?: unknown; view?: unknown }>): number =>
    Math.round(rows.slice(0, 1000).reduce((s, r) => s + JSON.stringify(r.payload ?? r.view ?? '').length, 0) / 1000);
  const runs: Run[] = [];
  let lookup: Awaited<ReturnType<typeof measureLookups>> | null = null;
  let dbCounter = 0;
  try {
    {
      // Warm-up (engine start, JIT), not measured.
      const database = await freshDatabase(client, dbCounter++);
      const sink = createClickHouseSink({ client, logger, database, batchRows: 5000 });
      sink.writeEvents(lake.slice(0, 10_000));
      sink.writeGolden(golden.slice(0, 5000));
      await sink.close();
      await client.command({ query: `DROP DATABASE ${database} SYNC` });
    }
    const cases: Array<[TableEncoding<never>, never[], 'writeEvents' | 'writeGolden']> = [
      [LAKE_ENCODING as TableEncoding<never>, lake as never[], 'writeEvents'],
      [GOLDEN_ENCODING as TableEncoding<never>, golden as never[], 'writeGolden'],
    ];
    for (const [encoding, rows, method] of cases) {
      for (const batchRows of BATCH_SIZES) {
        {
          const database = await freshDatabase(client, dbCounter++);
          const sink = createClickHouseSink({ client, logger, database, batchRows, flushIntervalMs: 200 });
          const stall = loopStallMeter();
          const ms = await timed(async () => {
            // One write per consumed batch, with the event loop given back in between as a consumer does.
            for (let i = 0; i < rows.length; i += WRITE_CHUNK) {
              sink[method](rows.slice(i, i + WRITE_CHUNK));
              await yieldToLoop();
            }
            await sink.flush();
          });
          runs.push({ table: encoding.table, batchRows, variant: 'sink', rows: rows.length, ms: Math.round(ms), rowsPerSec: Math.round((rows.length / ms) * 1000), maxLoopStallMs: stall() });
          await sink.close();
          if (encoding.table === GOLDEN_ENCODING.table && batchRows === 5000) lookup = await measureLookups(client, database, rows.length);
          await client.command({ query: `DROP DATABASE ${database} SYNC` });
        }
        for (const format of ['Buffer', 'JSONCompactEachRow', 'JSONEachRow'] as const) {
          const database = await freshDatabase(client, dbCounter++);
          const table = qualifiedTable(database, encoding.table);
          const columns = encoding.columns as [string, ...string[]];
          const ms = await timed(async () => {
            for (let i = 0; i < rows.length; i += batchRows) {
              const chunk = rows.slice(i, i + batchRows);
              if (format === 'Buffer') {
                // The floor: the whole body serialized in one go, handed to chDB as one Buffer.
                const body = Buffer.from(chunk.map((r) => `${JSON.stringify(encoding.values(r))}\n`).join(''));
                await insertEncoded(client, { database, table: encoding.table, columns, body });
              } else if (format === 'JSONCompactEachRow') {
                await client.insert({ table, columns, format, values: chunk.map(encoding.values) });
              } else {
                await client.insert({ table, format, values: chunk as unknown as Record<string, unknown>[] });
              }
            }
          });
          runs.push({ table: encoding.table, batchRows, variant: `raw ${format}`, rows: rows.length, ms: Math.round(ms), rowsPerSec: Math.round((rows.length / ms) * 1000) });
          await client.command({ query: `DROP DATABASE ${database} SYNC` });
        }
        progress(BENCH, `${encoding.table} batch ${batchRows}: ${runs.slice(-4).map((r) => `${r.variant} ${r.rowsPerSec} rows/s`).join(', ')}`);
      }
    }
  } finally {
    await client.close();
    rmSync(dataPath, { recursive: true, force: true });
  }
  const details = {
    n: N,
    engine: 'chDB 3.4 (ClickHouse 26.7) via @clickhouse/client 1.23',
    writeChunk: WRITE_CHUNK,
    avgPayloadBytes: { lake_events: avgBytes(lake), golden_orders: avgBytes(golden) },
    runs,
    /** getGoldenView (FINAL point lookup) latency on the golden table the 5k-batch sink run filled. */
    goldenLookup: lookup,
    /** Sink throughput / raw Buffer insert throughput, per table and batch size. */
    ratios: runs
      .filter((r) => r.variant === 'sink')
      .map((r) => {
        const raw = runs.find((b) => b.table === r.table && b.batchRows === r.batchRows && b.variant === 'raw Buffer')!;
        return { table: r.table, batchRows: r.batchRows, sinkVsRaw: Number((r.rowsPerSec / raw.rowsPerSec).toFixed(2)) };
      }),
  };
  const rows: BenchRow[] = [];
  for (const table of [LAKE_ENCODING.table, GOLDEN_ENCODING.table]) {
    const sink = runs.find((r) => r.table === table && r.batchRows === DEFAULT_BATCH_ROWS && r.variant === 'sink')!;
    const raw = runs.find((r) => r.table === table && r.batchRows === DEFAULT_BATCH_ROWS && r.variant === 'raw Buffer')!;
    const client = runs.find((r) => r.table === table && r.batchRows === DEFAULT_BATCH_ROWS && r.variant === 'raw JSONCompactEachRow')!;
    rows.push(
      row({
        benchmark: BENCH,
        metric: `${table} via sink, batches of ${DEFAULT_BATCH_ROWS}`,
        value: sink.rowsPerSec,
        unit: 'rows/s',
        baseline: raw.rowsPerSec,
        baselineLabel: 'raw Buffer insert, JSONCompactEachRow',
        target: '',
        met: null,
        note: `loop stall max ${sink.maxLoopStallMs} ms; client.insert ${client.rowsPerSec.toLocaleString('en-US')} rows/s`,
      }),
    );
  }
  if (lookup) {
    rows.push(
      row({
        benchmark: BENCH,
        metric: `golden FINAL point lookup p50 (p95 ${lookup.p95Ms} ms), ${lookup.orders} orders`,
        value: lookup.p50Ms,
        unit: 'ms',
        baseline: null,
        baselineLabel: '',
        target: '',
        met: null,
      }),
    );
  }
  return { rows, details };
}

if (isMain(import.meta.url)) {
  await runBenchMain(BENCH, () => runSinkBench(numberArg('rows', 100_000)));
}
