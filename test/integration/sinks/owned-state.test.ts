import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  createClickHouseSink,
  createLakeReader,
  loadOwnedState,
  loadPendingShipmentEvents,
  runMigrations,
  type ClickHouseSink,
} from '../../../src/sinks/index.js';
import { closeTestClient, createTestDatabase, type TestDatabase } from '../../helpers/clickhouse-test-db.js';
import { deletedRow, goldenRow, lakeRow, pendingRow, T0 } from '../../helpers/clickhouse-rows.js';

const logger = pino({ level: 'silent' });

describe('state rebuild reads (chDB)', () => {
  let db: TestDatabase;
  let sink: ClickHouseSink;

  beforeEach(async () => {
    db = await createTestDatabase();
    await runMigrations({ client: db.client, database: db.database, logger });
    sink = createClickHouseSink({ client: db.client, logger, database: db.database, flushIntervalMs: 3_600_000 });
  });
  afterEach(async () => {
    await sink.close();
    await db.drop();
  });
  afterAll(async () => {
    await closeTestClient();
  });

  /** Orders SO-00 … SO-11, owned by partition `i % 4`, three events each, golden version i + 1. */
  async function seed(): Promise<void> {
    for (let i = 0; i < 12; i++) {
      const orderId = `SO-${String(i).padStart(2, '0')}`;
      const owner = i % 4;
      sink.writeEvents([0, 1, 2].map((n) => lakeRow(orderId, n, { owner_partition: owner })));
      sink.writeGolden([goldenRow(orderId, 1, { owner_partition: owner })]);
      if (i > 0) sink.writeGolden([goldenRow(orderId, i + 1, { owner_partition: owner })]);
    }
    await sink.flush();
  }

  it('returns only the orders of the partitions asked for, with their events and newest version', async () => {
    await seed();
    const states = await loadOwnedState({ ...db, partitions: [1, 3], pageSize: 2 });
    expect(states.map((s) => s.orderId)).toEqual(['SO-01', 'SO-03', 'SO-05', 'SO-07', 'SO-09', 'SO-11']);
    for (const state of states) {
      const i = Number(state.orderId.slice(3));
      expect(state.version).toBe(i + 1);
      expect(state.updatedAt).toBe(T0 + i + 1);
      expect(state.isDeleted).toBe(false);
      expect(state.events).toEqual([0, 1, 2].map((n) => JSON.parse(lakeRow(state.orderId, n).payload as string)));
    }
    expect(await loadOwnedState({ ...db, partitions: [] })).toEqual([]);
    expect(await loadOwnedState({ ...db, partitions: [7] })).toEqual([]);
  });

  it('includes deleted orders (with their events) and orders that have events but no golden row yet', async () => {
    await seed();
    sink.writeGolden([deletedRow('SO-02', 9, 2)]);
    sink.writeEvents([lakeRow('SO-99', 0, { owner_partition: 2, ingested_at: T0 + 500 })]);
    await sink.flush();
    const states = await createLakeReader(db).loadOwnedState([2]);
    const byId = new Map(states.map((s) => [s.orderId, s]));
    expect([...byId.keys()]).toEqual(['SO-02', 'SO-06', 'SO-10', 'SO-99']);
    expect(byId.get('SO-02')).toMatchObject({ version: 9, isDeleted: true });
    expect(byId.get('SO-02')!.events).toHaveLength(3);
    expect(byId.get('SO-99')).toMatchObject({ version: 0, isDeleted: false, updatedAt: T0 + 500 });
    expect(byId.get('SO-99')!.events).toHaveLength(1);
  });

  it('keeps unresolved tracking events until a resolved copy is written', async () => {
    sink.writePendingShipments([
      pendingRow('SF1', 1),
      pendingRow('SF1', 2),
      pendingRow('SF2', 3, { link_partition: 1, link_keys: ['SF2', 'FF-9'] }),
    ]);
    await sink.flush();
    sink.writePendingShipments([pendingRow('SF1', 1, { resolved: 1 })]);
    await sink.flush();
    // A late duplicate of the unresolved image must not bring the event back.
    sink.writePendingShipments([pendingRow('SF1', 1)]);
    await sink.flush();

    const all = await loadPendingShipmentEvents(db);
    expect(all.map((p) => p.eventUid)).toEqual(['tms|tms-SF1-2', 'tms|tms-SF2-3']);
    expect(all[1]).toEqual({
      eventUid: 'tms|tms-SF2-3',
      trackingNo: 'SF2',
      linkPartition: 1,
      linkKeys: ['SF2', 'FF-9'],
      waitingSince: T0 + 3,
      event: JSON.parse(pendingRow('SF2', 3).payload),
      // Where it came from, so the event keeps its source position when it finally moves on.
      position: { topic: 'tms.tracking.events', partition: 0, offset: '3', timestamp: T0 + 3 },
    });
    const mine = await createLakeReader(db).loadPendingShipmentEvents([1]);
    expect(mine.map((p) => p.trackingNo)).toEqual(['SF2']);
  });
});
