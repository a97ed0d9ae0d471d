import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  countDeadLetters,
  createClickHouseSink,
  createLakeReader,
  getGoldenView,
  listDeadLetters,
  listGoldenViews,
  runMigrations,
  type ClickHouseSink,
  type ClickHouseSinkOptions,
  type FlushStats,
} from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, scalar, type TestDatabase } from '../../helpers/clickhouse-test-db.js';
import { deadLetterRow, goldenRow, lakeRow, pendingRow, T0 } from '../../helpers/clickhouse-rows.js';
import { waitFor } from '../../helpers/clickhouse-wait-for.js';

const logger = pino({ level: 'silent' });

describe('ClickHouse sink (chDB)', () => {
  let db: TestDatabase;
  const sinks: ClickHouseSink[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    await runMigrations({ client: db.client, database: db.database, logger });
  });
  afterEach(async () => {
    for (const sink of sinks.splice(0)) await sink.close().catch(() => undefined);
    await db.drop();
  });
  afterAll(async () => {
    await closeTestClient();
  });

  function sinkWith(options: Partial<ClickHouseSinkOptions> = {}): { sink: ClickHouseSink; stats: FlushStats[] } {
    const stats: FlushStats[] = [];
    const sink = createClickHouseSink({
      client: db.client,
      logger,
      database: db.database,
      flushIntervalMs: 3_600_000,
      onFlush: (s) => stats.push(s),
      ...options,
    });
    sinks.push(sink);
    return { sink, stats };
  }

  const count = (table: string, final = false): Promise<number> =>
    scalar(db.client, `SELECT count() FROM \`${db.database}\`.${table}${final ? ' FINAL' : ''}`);

  it('writes lake, golden and dead-letter rows in batches and reads them back', async () => {
    const { sink, stats } = sinkWith({ batchRows: 40 });
    const lake = Array.from({ length: 100 }, (_, i) => lakeRow(`SO-${i % 10}`, i));
    const golden = Array.from({ length: 10 }, (_, i) => goldenRow(`SO-${i}`, 1));
    const dead = Array.from({ length: 3 }, (_, i) => deadLetterRow(i));
    sink.writeEvents(lake.slice(0, 30));
    sink.writeEvents(lake.slice(30));
    sink.writeGolden(golden);
    sink.writeDeadLetters(dead);
    await sink.flush();
    expect(sink.pendingRows()).toBe(0);

    expect(await count('lake_events')).toBe(100);
    expect(await count('golden_orders')).toBe(10);
    expect(await countDeadLetters(db)).toBe(3);
    for (const s of stats) expect(s.rows).toBeLessThanOrEqual(40);
    expect(stats.filter((s) => s.table === 'lake_events').map((s) => s.rows).reduce((a, b) => a + b, 0)).toBe(100);
    expect(stats.length).toBeLessThan(100 + 10 + 3);

    const stored = await (
      await db.client.query({
        query: `SELECT event_uid, \`offset\`, toUnixTimestamp64Milli(event_time) AS et, toUnixTimestamp64Milli(kafka_time) AS kt,
                       toUnixTimestamp64Milli(ingested_at) AS it, payload, owner_partition, \`partition\`, topic
                FROM \`${db.database}\`.lake_events WHERE event_uid = {uid:String}`,
        query_params: { uid: lake[7]!.event_uid },
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    expect(stored).toHaveLength(1);
    expect(Number(stored[0]!.offset)).toBe(1007);
    expect(Number(stored[0]!.et)).toBe(T0 + 7);
    expect(Number(stored[0]!.kt)).toBe(T0 + 12);
    expect(Number(stored[0]!.it)).toBe(T0 + 17);
    expect(JSON.parse(stored[0]!.payload as string)).toEqual(JSON.parse(lake[7]!.payload as string));

    expect(await getGoldenView({ ...db, orderId: 'SO-3' })).toEqual({ order_id: 'SO-3', version: 1, status: 'PAID' });

    const letters = await listDeadLetters({ ...db, limit: 10 });
    expect(letters.map((l) => l.id)).toEqual([dead[2]!.id, dead[1]!.id, dead[0]!.id]);
    expect(letters[0]).toEqual(dead[2]);
  });

  it('keeps the newest golden version whatever order versions arrive in', async () => {
    const { sink } = sinkWith();
    sink.writeGolden([goldenRow('SO-1', 3), goldenRow('SO-2', 1)]);
    await sink.flush();
    sink.writeGolden([goldenRow('SO-1', 1), goldenRow('SO-1', 2), goldenRow('SO-2', 2)]);
    await sink.flush();
    expect(await getGoldenView({ ...db, orderId: 'SO-1' })).toMatchObject({ version: 3 });
    expect(await getGoldenView({ ...db, orderId: 'SO-2' })).toMatchObject({ version: 2 });
    expect(await getGoldenView({ ...db, orderId: 'SO-404' })).toBeNull();
    const page = await listGoldenViews({ ...db, limit: 10 });
    expect(page.map((v) => [v.orderId, v.version])).toEqual([
      ['SO-1', 3],
      ['SO-2', 2],
    ]);
  });

  it('stores an event or view given as an object as exactly its JSON text', async () => {
    const { sink } = sinkWith();
    const payload = { kind: 'wms', note: '张三 "quoted" \\ back\nslash \u2028', amount: '12.50', nested: { list: [1, null, true] } };
    const view = { order_id: 'SO-9', version: 4, status: 'PAID', customer: { name: 'Zoë' }, lines: [] };
    sink.writeEvents([{ ...lakeRow('SO-9', 1), payload }]);
    sink.writeGolden([{ ...goldenRow('SO-9', 4), view }]);
    await sink.flush();
    const stored = await (
      await db.client.query({ query: `SELECT payload FROM \`${db.database}\`.lake_events`, format: 'JSONEachRow' })
    ).json<{ payload: string }>();
    expect(stored.map((r) => r.payload)).toEqual([JSON.stringify(payload)]);
    expect(await getGoldenView({ ...db, orderId: 'SO-9' })).toEqual(view);
  });

  it('hides deleted orders from lookups and exports', async () => {
    const { sink } = sinkWith();
    sink.writeGolden([goldenRow('SO-1', 1), goldenRow('SO-2', 1), goldenRow('SO-3', 1)]);
    await sink.flush();
    sink.writeGolden([goldenRow('SO-2', 2, { is_deleted: 1, view: '' })]);
    await sink.flush();
    expect(await getGoldenView({ ...db, orderId: 'SO-2' })).toBeNull();
    expect(await getGoldenView({ ...db, orderId: 'SO-1' })).not.toBeNull();
    const page = await listGoldenViews({ ...db, limit: 10 });
    expect(page.map((v) => v.orderId)).toEqual(['SO-1', 'SO-3']);
  });

  it('pages through golden views after a given order id', async () => {
    const { sink } = sinkWith();
    sink.writeGolden(Array.from({ length: 25 }, (_, i) => goldenRow(`SO-${String(i).padStart(3, '0')}`, 1)));
    await sink.flush();
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listGoldenViews({ ...db, limit: 10, ...(after === undefined ? {} : { afterOrderId: after }) });
      if (page.length === 0) break;
      seen.push(...page.map((v) => v.orderId));
      after = page[page.length - 1]!.orderId;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `SO-${String(i).padStart(3, '0')}`));
  });

  it('collapses re-delivered lake events', async () => {
    const { sink } = sinkWith();
    const rows = Array.from({ length: 20 }, (_, i) => lakeRow('SO-1', i));
    sink.writeEvents(rows);
    await sink.flush();
    sink.writeEvents(rows.slice(5, 15).map((r) => ({ ...r, ingested_at: r.ingested_at + 60_000, offset: String(Number(r.offset) + 500) })));
    await sink.flush();
    expect(await count('lake_events')).toBe(30);
    expect(await count('lake_events', true)).toBe(20);
    const [state] = await createLakeReader(db).loadOwnedState([0]);
    expect(state!.events).toHaveLength(20);
  });

  it('flushes by count without being asked, never more than batchRows per insert', async () => {
    const { sink, stats } = sinkWith({ batchRows: 100 });
    sink.writeEvents(Array.from({ length: 250 }, (_, i) => lakeRow(`SO-${i}`, i)));
    await waitFor(async () => (await count('lake_events')) === 250, { what: '250 lake rows' });
    expect(stats.map((s) => s.rows)).toEqual([100, 100, 50]);
    expect(sink.pendingRows()).toBe(0);
  });

  it('flushes by time without being asked', async () => {
    const { sink } = sinkWith({ batchRows: 10_000, flushIntervalMs: 50 });
    sink.writeEvents([lakeRow('SO-1', 1), lakeRow('SO-1', 2)]);
    sink.writeDeadLetters([deadLetterRow(1)]);
    await waitFor(async () => (await count('lake_events')) === 2 && (await countDeadLetters(db)) === 1, { what: 'timer flush' });
    sink.writeGolden([goldenRow('SO-1', 1)]);
    await waitFor(async () => (await getGoldenView({ ...db, orderId: 'SO-1' })) !== null, { what: 'second timer flush' });
  });

  it('shares one flush between concurrent callers and covers rows written during a flush', async () => {
    const { sink, stats } = sinkWith();
    sink.writeEvents([lakeRow('SO-1', 1)]);
    const first = sink.flush();
    const second = sink.flush();
    sink.writeEvents([lakeRow('SO-1', 2)]);
    const third = sink.flush();
    const fourth = sink.flush();
    expect(second).toBe(first);
    expect(fourth).toBe(third);
    await Promise.all([first, second]);
    expect(await count('lake_events')).toBeGreaterThanOrEqual(1);
    await third;
    expect(await count('lake_events')).toBe(2);
    expect(stats.map((s) => s.rows)).toEqual([1, 1]);
  });

  it('keeps rows that could not be inserted and writes them on a later flush', async () => {
    const bare = await createTestDatabase();
    try {
      const { sink } = sinkWith({ database: bare.database, retry: { retries: 2, baseMs: 1, maxMs: 1 } });
      sink.writeEvents([lakeRow('SO-1', 1), lakeRow('SO-1', 2)]);
      sink.writeGolden([goldenRow('SO-1', 1)]);
      const error = await sink.flush().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OL_ERR_CLICKHOUSE', retriable: false, context: { table: 'lake_events' } });
      expect(sink.pendingRows()).toBe(3);
      sink.writeEvents([lakeRow('SO-1', 3)]);
      await runMigrations({ client: bare.client, database: bare.database, logger });
      await sink.flush();
      expect(sink.pendingRows()).toBe(0);
      expect(await scalar(bare.client, `SELECT count() FROM \`${bare.database}\`.lake_events`)).toBe(3);
      expect(await getGoldenView({ client: bare.client, database: bare.database, orderId: 'SO-1' })).not.toBeNull();
    } finally {
      await bare.drop();
    }
  });

  it('refuses a write with a row that does not fit, buffering none of it', async () => {
    const { sink } = sinkWith();
    expect(() => sink.writeEvents([lakeRow('SO-1', 1), lakeRow('SO-1', 2, { offset: 'x' })])).toThrow(
      expect.objectContaining({ code: 'OL_ERR_SINK_ROW_INVALID', context: { table: 'lake_events', row: 1 } }),
    );
    expect(sink.pendingRows()).toBe(0);
    sink.writeEvents([lakeRow('SO-1', 3)]);
    await sink.flush();
    expect(await count('lake_events')).toBe(1);
  });

  it('stores lake, pending and dead-letter rows on a commit-lane flush, and golden rows on their own lane', async () => {
    const { sink } = sinkWith({ goldenIntervalMs: 3_600_000 });
    sink.writeEvents([lakeRow('SO-1', 1, { order_version: 7 })]);
    sink.writePendingShipments([pendingRow('SF1', 1)]);
    sink.writeDeadLetters([deadLetterRow(1)]);
    sink.writeGolden([goldenRow('SO-1', 7)]);
    await sink.flushCommitLane();
    expect([await count('lake_events'), await count('pending_shipment_events'), await countDeadLetters(db), await count('golden_orders')]).toEqual([1, 1, 1, 0]);
    expect(sink.pendingRows()).toBe(1);
    expect(await scalar(db.client, `SELECT max(order_version) FROM \`${db.database}\`.lake_events`)).toBe(7);
    await sink.flush();
    expect(await getGoldenView({ ...db, orderId: 'SO-1' })).toMatchObject({ version: 7 });
    expect(sink.pendingRows()).toBe(0);
  });

  it('flushes golden rows by time on their own, however long the flush interval', async () => {
    const { sink } = sinkWith({ flushIntervalMs: 60_000, goldenIntervalMs: 50 });
    sink.writeEvents([lakeRow('SO-1', 1)]);
    sink.writeGolden([goldenRow('SO-1', 1)]);
    // The golden lane stores the lake rows written before it first.
    await waitFor(async () => (await getGoldenView({ ...db, orderId: 'SO-1' })) !== null, { what: 'golden timer flush' });
    expect(await count('lake_events')).toBe(1);
  });

  it('flushes on close and refuses writes afterwards', async () => {
    const { sink } = sinkWith();
    sink.writeEvents([lakeRow('SO-1', 1)]);
    await sink.close();
    expect(await count('lake_events')).toBe(1);
    expect(() => sink.writeEvents([lakeRow('SO-1', 2)])).toThrow(/closed/);
  });
});
