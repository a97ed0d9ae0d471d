import { describe, expect, it } from 'vitest';
import { CLOSED_STATUSES, createGoldenStore, GOLDEN_BODY_FIELDS } from '../../../src/golden/index.js';
import type { CanonicalEvent } from '../../../src/normalize/canonical-event.js';
import { crmLine, crmOrder, crmOrderDelete, iso, T0, wms } from '../../helpers/golden-events.js';

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}
const item = (event: CanonicalEvent, orderId = 'SO-1') => ({ orderId, event });

describe('GoldenStore', () => {
  it('creates a first view at version 1 with every field changed, stamped with the clock', () => {
    const c = clock();
    const store = createGoldenStore(c);
    const changes = store.applyBatch([item(crmOrder())]);
    expect(changes).toHaveLength(1);
    const [change] = changes;
    expect(change?.version).toBe(1);
    expect(change?.previous).toBeNull();
    expect(change?.changedFields).toEqual([...GOLDEN_BODY_FIELDS]);
    expect(change?.view).toMatchObject({ order_id: 'SO-1', version: 1, updated_at: iso(T0) });
    expect(store.get('SO-1')).toEqual(change?.view);
    expect(store.size).toBe(1);
    expect([...store.orderIds()]).toEqual(['SO-1']);
  });

  it('raises the version once per batch per changed order and lists the changed fields', () => {
    const c = clock();
    const store = createGoldenStore(c);
    store.applyBatch([item(crmOrder())]);
    c.advance(5000);
    const changes = store.applyBatch([
      item(crmLine({ line_no: 1 }, { lsn: 1 })),
      item(crmLine({ line_no: 2 }, { lsn: 2 })),
      item(wms('RELEASED', T0, { event_id: 'w', order_id: 'SO-2' }), 'SO-2'),
    ]);
    expect(changes.map((ch) => [ch.orderId, ch.version])).toEqual([
      ['SO-1', 2],
      ['SO-2', 1],
    ]);
    expect(changes[0]?.changedFields).toEqual(['lines', 'sources']);
    expect(changes[0]?.previous?.version).toBe(1);
    expect(store.get('SO-1')?.updated_at).toBe(iso(T0 + 5000));
    expect(store.get('SO-1')?.lines).toHaveLength(2);
  });

  it('does not change anything for duplicates', () => {
    const store = createGoldenStore(clock());
    const event = crmOrder();
    store.applyBatch([item(event)]);
    expect(store.applyBatch([item(event), item(structuredClone(event))])).toEqual([]);
    expect(store.get('SO-1')?.version).toBe(1);
  });

  it('counts a late older image as a change of sources only', () => {
    const store = createGoldenStore(clock());
    const line = crmLine({ line_no: 1 }, { lsn: 5, ts_ms: T0 });
    store.applyBatch([item(line)]);
    const olderLine = crmLine({ line_no: 1 }, { lsn: 4, ts_ms: T0 });
    expect(store.applyBatch([item(olderLine)]).map((c) => c.changedFields)).toEqual([['sources']]);
  });

  it('reports a delete as a change to no view, and keeps the tombstone', () => {
    const store = createGoldenStore(clock());
    store.applyBatch([item(crmOrder())]);
    const changes = store.applyBatch([item(crmOrderDelete('SO-1', 9999))]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ orderId: 'SO-1', view: null, version: 2 });
    expect(changes[0]?.previous?.version).toBe(1);
    expect(store.get('SO-1')).toBeNull();
    expect(store.isDeleted('SO-1')).toBe(true);
    expect([...store.orderIds()]).toEqual(['SO-1']);
    expect(store.applyBatch([item(crmOrder({ row_version: 5 }, { lsn: 99999 }))])).toEqual([]);
    expect(store.get('SO-1')).toBeNull();
    expect(store.stats()).toEqual({ applied: 2, duplicates: 0, afterDelete: 1, orders: 0, deletedOrders: 1, dormantOrders: 0 });
  });

  it('counts applied events, duplicates and orders in its stats', () => {
    const store = createGoldenStore(clock());
    const event = crmOrder();
    store.applyBatch([item(event), item(event), item(wms('RELEASED', T0, { event_id: 'w', order_id: 'SO-2' }), 'SO-2')]);
    store.applyBatch([item(event)]);
    expect(store.stats()).toEqual({ applied: 2, duplicates: 2, afterDelete: 0, orders: 2, deletedOrders: 0, dormantOrders: 0 });
    expect(store.size).toBe(2);
  });

  it('never creates a view for an order whose delete came first', () => {
    const store = createGoldenStore(clock());
    expect(store.applyBatch([item(crmOrderDelete('SO-1', 10))])).toEqual([]);
    expect(store.applyBatch([item(crmOrder())])).toEqual([]);
    expect(store.isDeleted('SO-1')).toBe(true);
  });

  it('restores an order without raising its version, and continues from it', () => {
    const c = clock();
    const store = createGoldenStore(c);
    store.restore('SO-1', [crmOrder(), crmLine({ line_no: 1 }, { lsn: 1 })], 7, T0 - 1000);
    expect(store.get('SO-1')).toMatchObject({ version: 7, updated_at: iso(T0 - 1000) });
    expect(store.get('SO-1')?.lines).toHaveLength(1);
    expect(store.applyBatch([item(crmLine({ line_no: 1 }, { lsn: 1 }))])).toEqual([]);
    const changes = store.applyBatch([item(crmLine({ line_no: 2 }, { lsn: 2 }))]);
    expect(changes[0]?.version).toBe(8);
  });

  it('restores a deleted order as deleted', () => {
    const store = createGoldenStore(clock());
    store.restore('SO-1', [crmOrder(), crmOrderDelete('SO-1', 5000)], 3, T0);
    expect(store.get('SO-1')).toBeNull();
    expect(store.isDeleted('SO-1')).toBe(true);
  });

  it('forgets an evicted order', () => {
    const store = createGoldenStore(clock());
    store.applyBatch([item(crmOrder()), item(crmOrderDelete('SO-2', 1), 'SO-2')]);
    store.evict('SO-1');
    store.evict('SO-2');
    expect(store.get('SO-1')).toBeNull();
    expect(store.isDeleted('SO-2')).toBe(false);
    expect(store.size).toBe(0);
    expect(store.applyBatch([item(crmOrder())])[0]?.version).toBe(1);
  });

  describe('dormant orders', () => {
    const closed = (view: { status: string | null }) => view.status !== null && CLOSED_STATUSES.has(view.status);

    it('puts closed and deleted orders to sleep once quiet, keeping only their version and updated_at', () => {
      const c = clock();
      const store = createGoldenStore(c);
      store.applyBatch([
        item(crmOrder({ order_id: 'SO-C', status: 'CANCELLED' }), 'SO-C'),
        item(crmOrder({ order_id: 'SO-O' }), 'SO-O'),
        item(crmOrder({ order_id: 'SO-D' }), 'SO-D'),
      ]);
      store.applyBatch([item(crmOrderDelete('SO-D', 5000), 'SO-D')]);
      c.advance(1000);
      store.applyBatch([item(crmOrder({ order_id: 'SO-R', status: 'CANCELLED' }), 'SO-R')]);

      expect(store.sleepIdle({ idleSince: T0 + 1000, closed }).sort()).toEqual(['SO-C', 'SO-D']);
      expect(store.dormant('SO-C')).toEqual({ version: 1, updatedAt: T0, deleted: false });
      expect(store.dormant('SO-D')).toEqual({ version: 2, updatedAt: T0, deleted: true });
      expect(store.dormant('SO-O')).toBeUndefined();
      expect(store.get('SO-C')).toBeNull();
      expect(store.get('SO-R')?.status).toBe('CANCELLED');
      expect([...store.orderIds()].sort()).toEqual(['SO-O', 'SO-R']);
      expect(store.dormantCount).toBe(2);
      expect(store.liveCount).toBe(2);
      // Asleep or held, each order is counted once, the deleted one as deleted.
      expect(store.stats()).toMatchObject({ orders: 3, deletedOrders: 1, dormantOrders: 2 });
      expect([...store.dormantLiveIds()]).toEqual(['SO-C']);
    });

    it('never puts to sleep an order whose newest event came after idleSince, even one that has no view', () => {
      const c = clock();
      const store = createGoldenStore(c);
      // A delete that arrives first: the order never gets a version, but its event is as recent.
      c.advance(5000);
      expect(store.applyBatch([item(crmOrderDelete('SO-X', 9000), 'SO-X')])).toEqual([]);
      expect(store.isDeleted('SO-X')).toBe(true);
      expect(store.sleepIdle({ idleSince: T0 + 5000, closed })).toEqual([]);
      expect(store.sleepIdle({ idleSince: T0 + 5001, closed })).toEqual(['SO-X']);
      expect(store.dormant('SO-X')).toEqual({ version: 0, updatedAt: 0, deleted: true });
    });

    it('takes events for a deleted order asleep as it does for a held one: ignored, with no restore', () => {
      const c = clock();
      const asleep = createGoldenStore(c);
      const held = createGoldenStore(c);
      const placed = crmOrder({ order_id: 'SO-D' });
      const deleted = crmOrderDelete('SO-D', 5000);
      const late = [item(crmLine({ order_id: 'SO-D', line_no: 1 }, { lsn: 7 }), 'SO-D'), item(deleted, 'SO-D'), item(placed, 'SO-D')];
      for (const store of [asleep, held]) {
        store.applyBatch([item(placed, 'SO-D')]);
        store.applyBatch([item(deleted, 'SO-D')]);
      }
      c.advance(10);
      expect(asleep.sleepIdle({ idleSince: T0 + 10, closed })).toEqual(['SO-D']);
      expect(asleep.applyBatch(late)).toEqual([]);
      expect(held.applyBatch(late)).toEqual([]);
      expect(asleep.dormant('SO-D')).toEqual({ version: 2, updatedAt: T0, deleted: true });
      // Asleep or held, the order answers as deleted (lookups, feed resumes).
      expect(asleep.isDeleted('SO-D')).toBe(true);
      expect(held.isDeleted('SO-D')).toBe(true);
      expect([...asleep.dormantLiveIds()]).toEqual([]);
      const { dormantOrders: asleepCount, ...asleepCounts } = asleep.stats();
      const { dormantOrders: heldCount, ...heldCounts } = held.stats();
      expect([asleepCount, heldCount]).toEqual([1, 0]);
      expect(asleepCounts).toEqual(heldCounts);
      expect(asleepCounts).toMatchObject({ applied: 2, afterDelete: 3, deletedOrders: 1, orders: 0 });
    });

    it('refuses an event for a dormant order until it is restored, then goes on from its version', () => {
      const c = clock();
      const store = createGoldenStore(c);
      const placed = crmOrder({ order_id: 'SO-C', status: 'CANCELLED' });
      store.applyBatch([item(placed, 'SO-C')]);
      const before = store.get('SO-C');
      store.sleepIdle({ idleSince: T0 + 1, closed });
      const late = crmLine({ order_id: 'SO-C', line_no: 1 }, { lsn: 7 });
      expect(() => store.applyBatch([item(late, 'SO-C')])).toThrow(expect.objectContaining({ code: 'OL_ERR_ORDER_DORMANT' }));

      const { version, updatedAt } = store.dormant('SO-C')!;
      store.restore('SO-C', [placed], version, updatedAt);
      expect(store.get('SO-C')).toEqual(before);
      expect(store.dormant('SO-C')).toBeUndefined();
      c.advance(10);
      const [change] = store.applyBatch([item(late, 'SO-C')]);
      expect(change).toMatchObject({ orderId: 'SO-C', version: 2, previous: before });
    });

    it('marks orders dormant from a rebuild and forgets them when evicted', () => {
      const store = createGoldenStore(clock());
      store.applyBatch([item(crmOrder({ order_id: 'SO-1' }), 'SO-1')]);
      store.markDormant('SO-1', 7, T0 - 5);
      store.markDormant('SO-2', 3, T0 - 9);
      expect(store.get('SO-1')).toBeNull();
      expect(store.dormant('SO-1')).toEqual({ version: 7, updatedAt: T0 - 5, deleted: false });
      store.markDormant('SO-3', 4, T0 - 7, true);
      expect(store.dormant('SO-3')).toEqual({ version: 4, updatedAt: T0 - 7, deleted: true });
      expect(store.stats()).toMatchObject({ orders: 2, deletedOrders: 1, dormantOrders: 3 });
      store.evict('SO-3');
      expect(store.liveCount).toBe(0);
      store.evict('SO-2');
      expect(store.dormant('SO-2')).toBeUndefined();
      expect(store.dormantCount).toBe(1);
    });
  });
});
