import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGoldenStore, createLocalRouter, createShipmentLinker, type GoldenView } from '../../../src/golden/index.js';
import type { CanonicalEvent } from '../../../src/normalize/index.js';
import { createMergeStage, type MergeItem, type MergeSink } from '../../../src/pipeline/merge-stage.js';
import type { GoldenRow, LakeRow, OwnedOrderState } from '../../../src/sinks/index.js';
import { crmOrder, crmOrderDelete, T0, wms } from '../../helpers/golden-events.js';
import { generateScenario, shuffleWithDuplicates } from '../../helpers/golden-scenario.js';

/**
 * The ClickHouse sink's two lanes, in memory: a commit flush stores the whole lake buffer; a
 * golden flush hands the coalesced golden rows over, stores the lake buffer first, then the golden
 * rows, and reports. What is stored when a worker dies is what a takeover reads.
 */
function laneSink(clock: () => number) {
  const collectors: Array<() => void> = [];
  const listeners: Array<(writtenBefore: number) => void> = [];
  let lake: LakeRow[] = [];
  let golden: GoldenRow[] = [];
  const stored = { lake: [] as LakeRow[], golden: [] as GoldenRow[] };
  const sink: MergeSink = {
    writeEvents: (rows) => void lake.push(...rows.map((r) => ({ ...r }))),
    writeGolden: (rows) => void golden.push(...rows),
    writeDeadLetters: () => expect.fail('nothing is dead-lettered here'),
    onBeforeFlush: (c) => void collectors.push(c),
    onFlushed: (l) => void listeners.push(l),
  };
  const commit = () => {
    stored.lake.push(...lake);
    lake = [];
  };
  const goldenFlush = () => {
    const startedAt = clock();
    for (const c of collectors) c();
    const taken = golden;
    golden = [];
    commit();
    stored.golden.push(...taken);
    for (const l of listeners) l(startedAt);
  };
  return { sink, stored, commit, goldenFlush, buffered: () => ({ lake, golden }) };
}

/**
 * What `loadOwnedState` reads, over stored rows: events collapsed by uid (the last copy, as FINAL
 * keeps it), the golden head, and the highest `order_version` over every copy; `collapse` first
 * drops every copy but the last, as a background merge of ReplacingMergeTree may.
 */
function loadFromStored(stored: { lake: LakeRow[]; golden: GoldenRow[] }, collapse: boolean): OwnedOrderState[] {
  let lake = stored.lake;
  if (collapse) {
    const last = new Map<string, LakeRow>();
    for (const row of lake) last.set(`${row.order_id}|${row.event_uid}`, row);
    lake = [...last.values()];
  }
  const ids = new Set([...lake.map((r) => r.order_id), ...stored.golden.map((g) => g.order_id)]);
  return [...ids].sort().map((orderId) => {
    const rows = lake.filter((r) => r.order_id === orderId);
    const events = new Map<string, unknown>();
    for (const r of rows) events.set(r.event_uid, r.payload);
    let head: GoldenRow | undefined;
    for (const g of stored.golden) if (g.order_id === orderId && (head === undefined || g.version > head.version)) head = g;
    let lakeHead: LakeRow | undefined;
    for (const r of rows) {
      const v = r.order_version ?? 0;
      const hv = lakeHead?.order_version ?? 0;
      if (lakeHead === undefined || v > hv || (v === hv && r.ingested_at < lakeHead.ingested_at)) lakeHead = r;
    }
    const goldenVersion = head?.version ?? 0;
    const lakeVersion = lakeHead?.order_version ?? 0;
    return {
      orderId,
      version: Math.max(goldenVersion, lakeVersion),
      goldenVersion,
      updatedAt: lakeVersion > goldenVersion ? lakeHead!.ingested_at : (head?.updated_at ?? Math.max(0, ...rows.map((r) => r.ingested_at))),
      isDeleted: head?.is_deleted === 1,
      dormant: false,
      events: [...events.keys()].sort().map((uid) => events.get(uid)),
    };
  });
}

/** Every event routed once, as the events topic holds them, in offset order. */
function routedItems(events: readonly CanonicalEvent[]): MergeItem[] {
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1_000_000, onOverflow: () => expect.fail('no overflow expected') }));
  let offset = 0;
  return events.flatMap((event) =>
    route(event, T0).map((r) => ({ ...r, position: { topic: 'events', partition: 0, offset: String(offset++), timestamp: T0 }, ownerPartition: 0 })),
  );
}

const clone = (view: GoldenView | null): GoldenView | null => (view === null ? null : (JSON.parse(JSON.stringify(view)) as GoldenView));
const body = (view: GoldenView | null) => {
  if (view === null) return null;
  const { version: _v, updated_at: _u, ...rest } = view;
  return rest;
};

interface Step {
  size: number;
  /** The batch is delivered twice (a failed acknowledgement re-reads it): its copies change nothing. */
  again: boolean;
  flush: 'none' | 'commit' | 'golden' | 'both';
}

const step: fc.Arbitrary<Step> = fc.record({
  size: fc.integer({ min: 1, max: 5 }),
  again: fc.boolean(),
  flush: fc.constantFrom('none', 'commit', 'commit', 'golden', 'both'),
});

describe('merge stage takeover with golden rows behind the lake', () => {
  it('restores every order at the version and view last pushed for its stored events, and never numbers a stored version again', async () => {
    let behindSomewhere = 0;
    let collapsedRuns = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ seed: fc.integer(), orders: fc.integer({ min: 1, max: 6 }), shuffle: fc.integer(), collapse: fc.boolean() }),
        fc.array(step, { minLength: 2, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        async ({ seed, orders, shuffle, collapse }, steps, crashAt, replayFrom) => {
          const items = routedItems(shuffleWithDuplicates(generateScenario(seed, orders), shuffle, 0.3));
          let time = T0;
          const clock = () => time;

          // Worker A runs until it dies after batch `crash`; its pushes are what clients saw.
          const a = laneSink(clock);
          const storeA = createGoldenStore({ now: clock });
          const mergeA = createMergeStage({ store: storeA, sink: a.sink, now: clock });
          const pushed = new Map<string, GoldenView | null>();
          /** The batch that made each pushed version. */
          const batchOf = new Map<string, number>();
          const batches: MergeItem[][] = [];
          let next = 0;
          for (const s of steps) {
            if (next >= items.length) break;
            batches.push(items.slice(next, next + s.size));
            next += s.size;
          }
          if (next < items.length) batches.push(items.slice(next));
          const crash = crashAt % batches.length;
          /** Batches whose lake rows are stored (a commit flush stores whole buffers). */
          let storedBatches = 0;
          for (let b = 0; b <= crash; b++) {
            time += 7;
            for (const c of await mergeA.merge(batches[b]!)) {
              pushed.set(`${c.orderId}@${c.version}`, clone(c.view));
              batchOf.set(`${c.orderId}@${c.version}`, b);
            }
            if (steps[b]?.again) {
              time += 3;
              expect(await mergeA.merge(batches[b]!)).toEqual([]);
            }
            const flush = steps[b]?.flush ?? 'none';
            if (flush !== 'none') storedBatches = b + 1;
            if (flush === 'commit') a.commit();
            else if (flush === 'golden' || flush === 'both') a.goldenFlush();
          }

          // Worker B takes over from what A stored.
          const states = loadFromStored(a.stored, collapse);
          if (collapse) collapsedRuns++;
          const b = laneSink(clock);
          const storeB = createGoldenStore({ now: clock });
          const mergeB = createMergeStage({ store: storeB, sink: b.sink, now: clock });
          const summary = mergeB.restore(states, 0);
          behindSomewhere += summary.behind;
          const catchUp = new Map(b.buffered().golden.map((g) => [g.order_id, g]));
          for (const state of states) {
            const { orderId, version } = state;
            if (version === 0) continue;
            // The version restored was pushed, with exactly the view restored.
            const key = `${orderId}@${version}`;
            expect(pushed.has(key), key).toBe(true);
            const view = storeB.get(orderId);
            if (collapse) expect(body(view), key).toEqual(body(pushed.get(key)!));
            else expect(view, key).toEqual(pushed.get(key));
            expect(storeB.isDeleted(orderId), key).toBe(pushed.get(key) === null);
            // A golden row behind the lake is caught up at once.
            if (version > state.goldenVersion) expect(catchUp.get(orderId)?.version, key).toBe(version);
            else expect(catchUp.has(orderId), key).toBe(false);
          }
          // …and it is the newest version whose events are stored: the version after the last
          // stored batch that touched the order. Nothing stored is numbered again.
          for (const state of states) {
            let expected = 0;
            for (const [key, batch] of batchOf) {
              const [id, v] = key.split('@') as [string, string];
              if (id === state.orderId && batch < storedBatches) expected = Math.max(expected, Number(v));
            }
            expect(state.version, state.orderId).toBe(expected);
          }

          // B goes on from an offset at or before the stored batches (commits may lag), to the end.
          const from = storedBatches === 0 ? 0 : replayFrom % (storedBatches + 1);
          const restoredAt = new Map(states.map((s) => [s.orderId, s.version]));
          for (let i = from; i < batches.length; i++) {
            time += 7;
            for (const c of await mergeB.merge(batches[i]!)) {
              expect(c.version).toBeGreaterThan(restoredAt.get(c.orderId) ?? 0);
            }
            if (i % 3 === 0) b.goldenFlush();
          }
          b.goldenFlush();

          // The same views as one worker that never died, and the golden table has caught up.
          const reference = createGoldenStore({ now: clock });
          reference.applyBatch(items);
          const ids = new Set([...reference.orderIds(), ...storeB.orderIds()]);
          for (const id of ids) expect(body(storeB.get(id)), id).toEqual(body(reference.get(id)));
          const newest = new Map<string, GoldenRow>();
          for (const g of [...a.stored.golden, ...b.stored.golden]) {
            const held = newest.get(g.order_id);
            if (held === undefined || g.version >= held.version) newest.set(g.order_id, g);
          }
          for (const id of ids) {
            const view = storeB.get(id);
            const row = newest.get(id);
            if (view !== null) {
              expect(row?.version, id).toBe(view.version);
              expect(row?.is_deleted, id).toBe(0);
            } else if (row !== undefined) expect(row.is_deleted, id).toBe(1);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(behindSomewhere).toBeGreaterThan(50);
    expect(collapsedRuns).toBeGreaterThan(50);
  });
});

describe('lake rows of the merge stage', () => {
  function stage() {
    let time = T0;
    const clock = () => time;
    const lanes = laneSink(clock);
    const store = createGoldenStore({ now: clock });
    const merge = createMergeStage({ store, sink: lanes.sink, now: clock });
    const item = (event: CanonicalEvent, offset: number): MergeItem => ({
      orderId: (event as { order_id: string }).order_id,
      event,
      position: { topic: 't', partition: 0, offset: String(offset), timestamp: T0 },
      ownerPartition: 0,
    });
    return {
      store,
      merge,
      lanes,
      item,
      tick: (ms: number) => void (time += ms),
    };
  }

  it('carry the version of their order after the batch and when it was made; a duplicate makes none', async () => {
    const s = stage();
    const placed = crmOrder({ order_id: 'SO-1', row_version: 1, status: 'PAID' });
    const packed = wms('PACKED', T0, { event_id: 'w-1', order_id: 'SO-1' });
    s.tick(5);
    const [first] = await s.merge.merge([s.item(placed, 0), s.item(packed, 1)]);
    expect(first!.version).toBe(1);
    const stamp = Date.parse(first!.view!.updated_at);
    s.tick(5);
    // A re-delivery (or a copy normalized otherwise, by another pipeline version) changes nothing
    // and stores nothing: the row of the copy applied first stays the event's only one.
    const released = wms('RELEASED', T0 + 1, { event_id: 'w-2', order_id: 'SO-1' });
    const [second] = await s.merge.merge([s.item(placed, 2), s.item(released, 3), s.item({ ...packed, warehouse_id: 'WH-9' }, 4)]);
    expect(second!.version).toBe(2);
    const rows = s.lanes.buffered().lake;
    expect(rows.map((r) => [r.event_uid, r.order_version, r.order_version_at])).toEqual([
      [rows[0]!.event_uid, 1, stamp],
      [rows[1]!.event_uid, 1, stamp],
      [rows[2]!.event_uid, 2, Date.parse(second!.view!.updated_at)],
    ]);
    expect(rows[1]!.payload).toMatchObject({ warehouse_id: 'WH-1' });
  });

  it('carry a deleted order\'s version after the delete, held or asleep', async () => {
    const s = stage();
    await s.merge.merge([s.item(crmOrder({ order_id: 'SO-1', row_version: 1 }), 0)]);
    await s.merge.merge([s.item(crmOrder({ order_id: 'SO-1', row_version: 2, status: 'PAID' }), 1)]);
    const [deleted] = await s.merge.merge([s.item(crmOrderDelete('SO-1', 5000), 2)]);
    expect(deleted).toMatchObject({ view: null, version: 3 });
    await s.merge.merge([s.item(crmOrder({ order_id: 'SO-1', row_version: 3 }), 3), s.item(crmOrderDelete('SO-1', 5000), 4)]);
    s.store.markDormant('SO-2', 4, T0, true);
    await s.merge.merge([s.item(crmOrder({ order_id: 'SO-2', row_version: 9 }), 5)]);
    expect(s.lanes.buffered().lake.map((r) => [r.order_id, r.order_version])).toEqual([
      ['SO-1', 1],
      ['SO-1', 2],
      ['SO-1', 3],
      ['SO-1', 3],
      ['SO-1', 3],
      ['SO-2', 4],
    ]);
  });

  it('restore writes the golden row of an order whose lake is ahead, and leaves the others to their next change', () => {
    const s = stage();
    const events = [crmOrder({ order_id: 'SO-1', row_version: 1, status: 'PAID' })];
    const summary = s.merge.restore(
      [
        { orderId: 'SO-1', version: 4, goldenVersion: 3, updatedAt: T0 + 40, isDeleted: false, dormant: false, events },
        { orderId: 'SO-2', version: 2, goldenVersion: 2, updatedAt: T0 + 20, isDeleted: false, dormant: false, events: [crmOrder({ order_id: 'SO-2', row_version: 1 })] },
        { orderId: 'SO-3', version: 6, goldenVersion: 5, updatedAt: T0 + 60, isDeleted: false, dormant: false, events: [crmOrder({ order_id: 'SO-3', row_version: 1 }), crmOrderDelete('SO-3', 9000)] },
        { orderId: 'SO-4', version: 7, goldenVersion: 7, updatedAt: T0 + 70, isDeleted: true, dormant: true, events: [] },
      ],
      3,
    );
    expect(summary).toEqual({ orders: 3, dormant: 1, events: 4, behind: 2 });
    expect(s.store.get('SO-1')).toMatchObject({ order_id: 'SO-1', version: 4, updated_at: new Date(T0 + 40).toISOString() });
    expect(s.store.dormant('SO-4')).toEqual({ version: 7, updatedAt: T0 + 70, deleted: true });
    const golden = s.lanes.buffered().golden;
    expect(golden.map((g) => [g.order_id, g.version, g.updated_at, g.is_deleted, g.owner_partition])).toEqual([
      ['SO-1', 4, T0 + 40, 0, 3],
      ['SO-3', 6, T0 + 60, 1, 3],
    ]);
  });

  it('an event after a restored delete carries the restored version', async () => {
    const s = stage();
    s.merge.restore([{ orderId: 'SO-3', version: 6, goldenVersion: 6, updatedAt: T0, isDeleted: true, dormant: false, events: [crmOrder({ order_id: 'SO-3', row_version: 1 }), crmOrderDelete('SO-3', 9000)] }], 0);
    expect(await s.merge.merge([s.item(crmOrder({ order_id: 'SO-3', row_version: 2 }), 0)])).toEqual([]);
    expect(s.lanes.buffered().lake.map((r) => [r.order_version, r.order_version_at])).toEqual([[6, T0]]);
  });
});
