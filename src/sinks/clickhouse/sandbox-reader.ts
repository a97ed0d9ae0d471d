import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';
import type { RawEventRow } from './raw-event-row.js';

/** A stored source message as the sandbox reads it back, bytes still base64 (`tombstone` as ClickHouse returns it). */
export type StoredRawMessage = Omit<RawEventRow, 'ingested_at' | 'tombstone'> & { tombstone: number };

/** A window of Kafka (record) time, epoch ms, `from` included and `to` excluded. */
export interface TimeWindow {
  from: number;
  to: number;
}

type Target = { client: ClickHouseClient; database: string };

const RAW_COLUMNS = `order_id, topic, \`partition\`, toString(\`offset\`) AS offset_s, line,
  toUnixTimestamp64Milli(kafka_time) AS kafka_ms, key, value, tombstone`;

const WINDOW = `kafka_time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND kafka_time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/** Offsets travel as text, times as epoch ms (aliases of their own: one named like its column would shadow it in WHERE). */
type WithOffsetText<T> = Omit<T, 'offset' | 'kafka_time'> & { offset_s: string; kafka_ms?: number | string };

function toMessage(r: WithOffsetText<StoredRawMessage>): StoredRawMessage {
  const { offset_s, kafka_ms, ...rest } = r;
  return { ...rest, partition: Number(r.partition), line: Number(r.line), kafka_time: Number(kafka_ms), tombstone: Number(r.tombstone), offset: offset_s };
}

/** The orders the production lake (and the raw messages naming an order) shows touched in the window, sorted. */
export async function ordersTouchedInWindow(opts: Target & { window: TimeWindow }): Promise<string[]> {
  const rows = await queryJson<{ order_id: string }>(
    opts.client,
    `SELECT DISTINCT order_id FROM (
       SELECT order_id FROM ${qualifiedTable(opts.database, TABLES.lake)} WHERE ${WINDOW} AND order_id != ''
       UNION ALL
       SELECT order_id FROM ${qualifiedTable(opts.database, TABLES.rawEvents)} WHERE ${WINDOW} AND order_id != ''
     ) ORDER BY order_id`,
    { from: opts.window.from, to: opts.window.to },
  );
  return rows.map((r) => r.order_id);
}

/** Position of a message, the key of keyset pages. */
export interface MessagePosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * One page of the window's raw messages that name no order, in position order after `after`, each
 * with the order production's lake routed it to ('' when none: a tracking event still waiting, or a
 * dead letter).
 */
export async function unknownOrderMessagesInWindow(
  opts: Target & { window: TimeWindow; after: MessagePosition | null; limit: number },
): Promise<Array<StoredRawMessage & { routed_order: string }>> {
  const after = opts.after ?? { topic: '', partition: 0, offset: '0' };
  const page = (
    await queryJson<WithOffsetText<StoredRawMessage>>(
      opts.client,
      `SELECT ${RAW_COLUMNS} FROM ${qualifiedTable(opts.database, TABLES.rawEvents)} FINAL
       WHERE order_id = '' AND ${WINDOW} AND (topic, \`partition\`, \`offset\`) > ({t:String}, {p:UInt32}, {o:UInt64})
       ORDER BY topic, \`partition\`, \`offset\` LIMIT {limit:UInt32}`,
      { from: opts.window.from, to: opts.window.to, t: after.topic, p: after.partition, o: after.offset, limit: opts.limit },
    )
  ).map(toMessage);
  if (page.length === 0) return [];
  // A lake row carries the time of the message it came from: the same window finds it.
  const routed = await queryJson<WithOffsetText<MessagePosition> & { order_id: string }>(
    opts.client,
    `SELECT topic, \`partition\`, toString(\`offset\`) AS offset_s, any(order_id) AS order_id
     FROM ${qualifiedTable(opts.database, TABLES.lake)}
     WHERE ${WINDOW} AND topic IN {topics:Array(String)} AND toString(\`offset\`) IN {offsets:Array(String)}
     GROUP BY topic, \`partition\`, \`offset\``,
    { from: opts.window.from, to: opts.window.to, topics: [...new Set(page.map((m) => m.topic))], offsets: [...new Set(page.map((m) => m.offset))] },
  );
  const orderAt = new Map(routed.map((r) => [positionKey({ topic: r.topic, partition: Number(r.partition), offset: r.offset_s }), r.order_id]));
  return page.map((m) => ({ ...m, routed_order: orderAt.get(positionKey(m)) ?? '' }));
}

/**
 * Every stored message of these orders, whatever its time: those that named the order themselves,
 * and those (tracking events) the production lake routed to it by position.
 */
export async function rawMessagesOfOrders(opts: Target & { orderIds: readonly string[] }): Promise<StoredRawMessage[]> {
  const rows = await queryJson<WithOffsetText<StoredRawMessage>>(
    opts.client,
    `SELECT ${RAW_COLUMNS} FROM ${qualifiedTable(opts.database, TABLES.rawEvents)} FINAL WHERE order_id IN {ids:Array(String)}
     UNION ALL
     SELECT ${RAW_COLUMNS} FROM ${qualifiedTable(opts.database, TABLES.rawEvents)} FINAL
     WHERE order_id = '' AND (topic, \`partition\`, \`offset\`) IN (
       SELECT topic, \`partition\`, \`offset\` FROM ${qualifiedTable(opts.database, TABLES.lake)} WHERE order_id IN {ids:Array(String)})`,
    { ids: opts.orderIds },
  );
  return rows.map(toMessage);
}

/** The source positions of the production lake rows of these orders (distinct), by order. */
export async function lakePositionsOfOrders(opts: Target & { orderIds: readonly string[] }): Promise<Array<MessagePosition & { order_id: string }>> {
  const rows = await queryJson<WithOffsetText<MessagePosition> & { order_id: string }>(
    opts.client,
    `SELECT DISTINCT order_id, topic, \`partition\`, toString(\`offset\`) AS offset_s
     FROM ${qualifiedTable(opts.database, TABLES.lake)} WHERE order_id IN {ids:Array(String)}`,
    { ids: opts.orderIds },
  );
  return rows.map((r) => ({ order_id: r.order_id, topic: r.topic, partition: Number(r.partition), offset: r.offset_s }));
}

/** Production's newest live golden view of each of these orders (deleted and unknown ones absent). */
export async function goldenViewsOfOrders(opts: Target & { orderIds: readonly string[] }): Promise<Map<string, Record<string, unknown>>> {
  const rows = await queryJson<{ order_id: string; view: string }>(
    opts.client,
    `SELECT order_id, view FROM ${qualifiedTable(opts.database, TABLES.golden)} FINAL
     WHERE order_id IN {ids:Array(String)} AND is_deleted = 0`,
    { ids: opts.orderIds },
  );
  return new Map(rows.map((r) => [r.order_id, JSON.parse(r.view) as Record<string, unknown>]));
}

/** Dead letters production recorded (at decode or normalize) for these positions: code and reason by position key. */
export async function deadLettersAt(
  opts: Target & { positions: readonly MessagePosition[] },
): Promise<Map<string, { code: string; reason: string }>> {
  if (opts.positions.length === 0) return new Map();
  const keys = opts.positions.map(positionKey);
  const rows = await queryJson<{ k: string; code: string; reason: string }>(
    opts.client,
    `SELECT concat(topic, '|', toString(\`partition\`), '|', toString(\`offset\`)) AS k, any(code) AS code, any(reason) AS reason
     FROM ${qualifiedTable(opts.database, TABLES.deadLetters)}
     WHERE stage IN ('source', 'codec', 'normalize') AND k IN {keys:Array(String)} GROUP BY k`,
    { keys },
  );
  return new Map(rows.map((r) => [r.k, { code: r.code, reason: r.reason }]));
}

/** One string per source position (topic, partition, offset); Kafka topic names never hold `|`. */
export function positionKey(p: MessagePosition): string {
  return `${p.topic}|${p.partition}|${p.offset}`;
}
