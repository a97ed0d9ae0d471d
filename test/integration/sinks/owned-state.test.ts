import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  createClickHouseSink,
  createLakeReader,
  loadOrderStates,
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

  describe('when golden rows lag the lake', () => {
    /** Events of `orderId` stored with the versions their batches led to, each batch at its own time. */
    /** `versionAt`: when `version` was made (default: when stored, the batch that made it). */
    function lakeBatch(orderId: string, ns: number[], version: number, ingestedAt: number, owner = 0, versionAt?: number) {
      return ns.map((n) => lakeRow(orderId, n, { order_version: version, ingested_at: ingestedAt, owner_partition: owner, order_version_at: versionAt ?? ingestedAt }));
    }

    it('restores the highest version either table records, taken over every stored copy', async () => {
      // SO-A: golden row at 2, its events at 1, then 3 (the golden row of 3 never made it).
      sink.writeEvents([...lakeBatch('SO-A', [0], 1, T0 + 100), ...lakeBatch('SO-A', [1, 2], 3, T0 + 300)]);
      sink.writeGolden([goldenRow('SO-A', 2)]);
      // SO-B: the golden table is up to date (5); SO-C: rows stored before migration 7 (0).
      sink.writeEvents([...lakeBatch('SO-B', [0], 4, T0 + 40), ...lakeBatch('SO-C', [0, 1], 0, T0 + 10)]);
      sink.writeGolden([goldenRow('SO-B', 5), goldenRow('SO-C', 2)]);
      // SO-D: events only, no golden row yet.
      sink.writeEvents(lakeBatch('SO-D', [0, 1], 2, T0 + 70));
      // SO-E: golden row at 1; its event 1 made version 2 at T0+200 (that golden row never made it).
      sink.writeEvents([...lakeBatch('SO-E', [0], 1, T0 + 10, 0, T0 + 10), ...lakeBatch('SO-E', [1], 2, T0 + 200, 0, T0 + 200)]);
      sink.writeGolden([goldenRow('SO-E', 1)]);
      await sink.flush();
      // Event 1 of SO-E re-delivered later (a source duplicate): stored at T0+900, it records the
      // version the order held and when that version was made.
      sink.writeEvents(lakeBatch('SO-E', [1], 2, T0 + 900, 0, T0 + 200));
      // A re-delivery of SO-A's event 1 changed nothing: it carries the version the order had.
      sink.writeEvents(lakeBatch('SO-A', [1], 3, T0 + 900));
      // A stray copy carrying less: the restore takes the maximum over all copies, not FINAL's.
      sink.writeEvents(lakeBatch('SO-D', [1], 1, T0 + 950));
      await sink.flush();

      const check = async () => {
        const states = new Map((await loadOwnedState({ ...db, partitions: [0] })).map((s) => [s.orderId, s]));
        expect([...states.keys()]).toEqual(['SO-A', 'SO-B', 'SO-C', 'SO-D', 'SO-E']);
        expect(states.get('SO-A')).toMatchObject({ version: 3, goldenVersion: 2, updatedAt: T0 + 300, isDeleted: false, dormant: false });
        expect(states.get('SO-A')!.events).toHaveLength(3);
        expect(states.get('SO-B')).toMatchObject({ version: 5, goldenVersion: 5, updatedAt: T0 + 5 });
        expect(states.get('SO-C')).toMatchObject({ version: 2, goldenVersion: 2, updatedAt: T0 + 2 });
        expect(states.get('SO-E')).toMatchObject({ version: 2, goldenVersion: 1, updatedAt: T0 + 200 });
        return states;
      };
      const before = await check();
      expect(before.get('SO-D')).toMatchObject({ version: 2, goldenVersion: 0, updatedAt: T0 + 70 });
      const woken = await loadOrderStates({ ...db, partitions: [0], orderIds: ['SO-A', 'SO-D', 'SO-404'] });
      expect(woken.map((s) => [s.orderId, s.version, s.goldenVersion, s.events.length])).toEqual([
        ['SO-A', 3, 2, 3],
        ['SO-D', 2, 0, 2],
        ['SO-404', 0, 0, 0],
      ]);

      // A background merge keeps one copy per event (the last written): SO-A's copy still records
      // version 3, and the earliest row of that version still dates it; SO-E's only row of version
      // 2 is now the re-delivered copy, which still dates the version when it was made.
      await db.client.command({ query: `OPTIMIZE TABLE \`${db.database}\`.lake_events FINAL` });
      const after = await check();
      expect(after.get('SO-D')).toMatchObject({ version: 2 }); // its event 0 still records 2
    });

    it('leaves a closed, quiet order asleep only when its golden row is as new as its lake', async () => {
      const closed = { status: 'DELIVERED' };
      sink.writeEvents([...lakeBatch('SO-E', [0, 1], 3, T0 + 30), ...lakeBatch('SO-F', [0], 3, T0 + 30), ...lakeBatch('SO-F', [1], 4, T0 + 40)]);
      sink.writeGolden([goldenRow('SO-E', 3, closed), goldenRow('SO-F', 3, closed)]);
      await sink.flush();
      const states = await loadOwnedState({ ...db, partitions: [0], sleepClosed: { updatedBefore: T0 + 1_000, statuses: new Set(['DELIVERED']) } });
      const byId = new Map(states.map((s) => [s.orderId, s]));
      expect(byId.get('SO-E')).toMatchObject({ version: 3, goldenVersion: 3, dormant: true, events: [] });
      expect(byId.get('SO-F')).toMatchObject({ version: 4, goldenVersion: 3, updatedAt: T0 + 40, dormant: false });
      expect(byId.get('SO-F')!.events).toHaveLength(2);
    });
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
