import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-result.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'clickhouse-kafka-peer-child.ts');

/**
 * ClickHouse's own Kafka engine settings for the peer. `tuned` is what the issue measured the peer
 * with: a 100 ms flush instead of the 7.5 s default (`stream_flush_interval_ms`), a 50 ms poll,
 * and a thread per consumer, so each table's consumer flushes on its own thread rather than
 * queueing for chDB's small background schedule pool.
 */
export const PEER_SETTINGS = {
  tuned: { kafka_flush_interval_ms: 100, kafka_poll_timeout_ms: 50, kafka_thread_per_consumer: 1 },
  defaults: {},
} as const;

export type PeerTuning = keyof typeof PEER_SETTINGS;

export interface PeerSpec {
  brokers: string;
  registryUrl: string;
  /** Contract topic (as in pipelines/*.yaml) → the run's real topic. */
  topics: Record<string, string>;
  /** Non-tombstone messages produced to those topics: a tombstone never becomes a row. */
  expectedRows: number;
  tuning: PeerTuning;
  /** Consumer group suffix: each run reads the topics from the beginning in a group of its own. */
  groupSuffix: string;
  dataDir: string;
  pollMs: number;
  timeoutMs: number;
}

export type PeerResult =
  | { available: false; reason: string }
  | {
      available: true;
      clickhouse: string;
      rows: number;
      expectedRows: number;
      timedOut: boolean;
      /** From the first materialized view created (consumers start) to the poll that saw every row. */
      ms: number;
      /** When the first row was visible (consumer start-up, group join and first flush). */
      firstRowMs: number | null;
      eventsPerSec: number;
      eventsPerSecAfterFirstRow: number | null;
      /** CPU time of the chDB process over the same interval (user + system, all threads). */
      cpuSeconds: number;
      rowsPerCpuSecond: number | null;
      perTable: Record<string, number>;
      consumerErrors: Array<{ table: string; read: number; commits: number; text: string }>;
      gaveUp?: string;
      settings: Record<string, string | number>;
    };

const DEBEZIUM_SOURCE =
  'source Tuple(version String, connector String, name String, ts_ms Int64, snapshot Nullable(String), db String, schema String, ' +
  '`table` String, txId Nullable(Int64), lsn Nullable(Int64))';

/** A Debezium envelope's columns: `before` and `after` each take every field of the row record. */
const debezium = (row: string) => `op String, ts_ms Nullable(Int64), before Tuple(${row}), after Tuple(${row}), ${DEBEZIUM_SOURCE}`;

/**
 * The columns each source topic lands in. Debezium envelopes are `before`/`after` as
 * `["null", record]` unions: they are named `Tuple` columns (a dotted `after.order_id` column does
 * not reach through the union), and a null `after` (a delete) becomes the tuple's defaults under
 * `input_format_avro_null_as_default=1`. WMS v1 and v2 messages share one table: v1 lacks the v2
 * fields (`store_id`), which `input_format_avro_allow_missing_fields=1` fills with defaults.
 * A record's tuple must name every field of the record (ClickHouse refuses a tuple with fewer
 * elements than the record has leaves), so every field of every source schema lands.
 */
const COLUMNS: Record<string, string> = {
  'crm.public.orders': debezium(
    'order_id String, channel String, customer_id String, customer_name String, customer_phone String, member_tier Nullable(String), ' +
      'status String, currency String, total_amount Decimal(12, 2), ship_name String, ship_phone String, ship_province String, ship_city String, ' +
      'ship_district Nullable(String), ship_line String, ship_postcode Nullable(String), gift_order Bool, buyer_note Nullable(String), ' +
      'promised_delivery_at Nullable(Int64), created_at String, paid_at Nullable(String), updated_at String, row_version Int64',
  ),
  'crm.public.order_lines': debezium(
    'order_id String, line_no Int32, sku String, product_name String, quantity Int32, unit_price Decimal(12, 2), updated_at String',
  ),
  'crm.public.after_sales': debezium(
    'case_id String, order_id String, case_type String, status String, sku String, quantity Int32, refund_amount Nullable(Decimal(12, 2)), ' +
      'replacement_sku Nullable(String), reason Nullable(String), created_at String, updated_at String',
  ),
  'wms.fulfillment.events':
    "event_id String, event_type String, occurred_at DateTime64(3, 'UTC'), warehouse_id String, fulfillment_id String, external_order_no String, " +
    'lines Array(Tuple(sku String, qty_ordered Int32, qty_picked Int32)), carrier_code Nullable(String), tracking_no Nullable(String), ' +
    'reason Nullable(String), store_id Nullable(String), pickup_locker_id Nullable(String), label_address_hash Nullable(String)',
  'tms.tracking.events':
    "event_id String, tracking_no String, carrier_code String, fulfillment_ref Nullable(String), order_ref Nullable(String), event_code String, " +
    "occurred_at DateTime64(3, 'UTC'), location Nullable(String), eta Nullable(DateTime64(3, 'UTC')), exception_code Nullable(String), signed_by Nullable(String)",
};

const DATABASE = 'peer';

/** The Kafka tables, MergeTree targets and materialized views of the peer, per source topic. */
export function peerDdl(spec: Pick<PeerSpec, 'brokers' | 'registryUrl' | 'topics' | 'tuning' | 'groupSuffix'>) {
  const settings: Record<string, string | number> = {
    kafka_format: 'AvroConfluent',
    format_avro_schema_registry_url: spec.registryUrl,
    input_format_avro_null_as_default: 1,
    input_format_avro_allow_missing_fields: 1,
    ...PEER_SETTINGS[spec.tuning],
  };
  const literal = (v: string | number) => (typeof v === 'number' ? String(v) : `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`);
  const tables = [`CREATE DATABASE IF NOT EXISTS ${DATABASE}`];
  const views: string[] = [];
  const viewNames: string[] = [];
  const targets: string[] = [];
  for (const [contract, topic] of Object.entries(spec.topics)) {
    const columns = COLUMNS[contract];
    if (columns === undefined) throw new Error(`no peer columns for ${contract}`);
    const name = contract.replaceAll('.', '_');
    const queue = `${DATABASE}.${name}_queue`;
    const target = `${DATABASE}.${name}`;
    const view = `${DATABASE}.${name}_mv`;
    const kafkaSettings = {
      kafka_broker_list: spec.brokers,
      kafka_topic_list: topic,
      kafka_group_name: `ch-peer-${spec.groupSuffix}-${name}`,
      ...settings,
    };
    tables.push(
      `CREATE TABLE ${queue} (${columns}) ENGINE = Kafka SETTINGS ${Object.entries(kafkaSettings)
        .map(([k, v]) => `${k} = ${literal(v)}`)
        .join(', ')}`,
      `CREATE TABLE ${target} (${columns}, _topic LowCardinality(String), _partition UInt64, _offset UInt64) ENGINE = MergeTree ORDER BY (_partition, _offset)`,
    );
    views.push(`CREATE MATERIALIZED VIEW ${view} TO ${target} AS SELECT *, _topic, _partition, _offset FROM ${queue}`);
    viewNames.push(view);
    targets.push(target);
  }
  return { database: DATABASE, tables, views, viewNames, targets, settings };
}

/** Runs the peer in a chDB process of its own and returns what it measured. */
export async function runClickHouseKafkaPeer(spec: PeerSpec, logFile: string): Promise<PeerResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CH_PEER_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const log = createWriteStream(logFile);
  let tail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-3000);
  });
  let answer: { type: 'result'; result: PeerResult } | { type: 'failed'; message: string } | undefined;
  child.on('message', (m: typeof answer) => {
    answer ??= m;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs + 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  log.end();
  if (answer?.type === 'result') return answer.result;
  throw new Error(`ClickHouse Kafka peer failed (exit ${code}): ${answer?.type === 'failed' ? answer.message : tail}`);
}
