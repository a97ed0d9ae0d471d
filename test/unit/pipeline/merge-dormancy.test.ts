import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGoldenStore, createLocalRouter, createShipmentLinker, type GoldenView } from '../../../src/golden/index.js';
import type { CanonicalEvent, CrmOrderEvent } from '../../../src/normalize/index.js';
import { createMergeStage, type MergeItem, type MergeSink } from '../../../src/pipeline/merge-stage.js';
import type { DeadLetterRow, GoldenRow, LakeRow, OwnedOrderState } from '../../../src/sinks/index.js';
import { createMetrics } from '../../../src/metrics.js';
import { T0 } from '../../helpers/golden-events.js';
import { generateScenario, shuffleWithDuplicates } from '../../helpers/golden-scenario.js';

/**
 * The merge stage's sink as the ClickHouse sink behaves, in memory: `write*` buffers; a flush
 * takes what is buffered when it starts (after the coalescing collectors ran), and stores it only
 * when it completes — events may be merged while a flush is in flight, as they are for real.
 */
function memorySink(clock: () => number) {
  const collectors: Array<() => void> = [];
  const flushed: Array<(writtenBefore: number) => void> = [];
  let lake: LakeRow[] = [];
  let golden: GoldenRow[] = [];
  let dead: DeadLetterRow[] = [];
  const stored = { lake: [] as LakeRow[], golden: [] as GoldenRow[], dead: [] as DeadLetterRow[] };
  let inFlight: { startedAt: number; lake: LakeRow[]; golden: GoldenRow[]; dead: DeadLetterRow[] } | null = null;
  const sink: MergeSink = {
    writeEvents: (rows) => void lake.push(...rows),
    writeGolden: (rows) => void golden.push(...rows),
    writeDeadLetters: (rows) => void dead.push(...rows),
    onBeforeFlush: (collect) => void collectors.push(collect),
    onFlushed: (listener) => void flushed.push(listener),
  };
  return {
    sink,
    stored,
    get flushing() {
      return inFlight !== null;
    },
    begin() {
      if (inFlight) return;
      for (const c of collectors) c();
      inFlight = { startedAt: clock(), lake, golden, dead };
      lake = [];
      golden = [];
      dead = [];
    },
    complete() {
      if (!inFlight) return;
      const done = inFlight;
      inFlight = null;
      stored.lake.push(...done.lake);
      stored.golden.push(...done.golden);
      stored.dead.push(...done.dead);
      for (const listener of flushed) listener(done.startedAt);
    },
    /** What `loadOrderStates` reads: the de-duplicated lake events, the newest golden version and the highest lake version. */
    load(orderIds: string[]): OwnedOrderState[] {
      return orderIds.map((orderId) => {
        const events = new Map<string, CanonicalEvent>();
        for (const row of stored.lake) if (row.order_id === orderId) events.set(row.event_uid, row.payload as CanonicalEvent);
        const head = stored.golden.filter((g) => g.order_id === orderId).sort((a, b) => b.version - a.version)[0];
        const lakeVersion = Math.max(0, ...stored.lake.filter((r) => r.order_id === orderId).map((r) => r.order_version ?? 0));
        return {
          orderId,
          version: Math.max(head?.version ?? 0, lakeVersion),
          goldenVersion: head?.version ?? 0,
          updatedAt: head?.updated_at ?? 0,
          isDeleted: head?.is_deleted === 1,
          dormant: false,
          events: [...events.keys()].sort().map((uid) => events.get(uid)!),
        };
      });
    },
  };
}

/** One batch of the next `size` events, then the clock moves and a flush may start or end. */
interface Step {
  size: number;
  /** A flush ends (and sweeps) while a wake's stored state is on its way. */
  flushWhileWaking: boolean;
  tick: number;
  flush: 'none' | 'begin' | 'complete' | 'both';
}

const step: fc.Arbitrary<Step> = fc.record({
  size: fc.integer({ min: 1, max: 4 }),
  flushWhileWaking: fc.boolean(),
  tick: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
  flush: fc.constantFrom('none', 'begin', 'complete', 'both'),
});

/** Two merge stages fed the same batches on the same clock: one never sleeps, one sleeps at every chance. */
function runBoth(events: readonly CanonicalEvent[], steps: readonly Step[], idleMs: number) {
  let time = T0;
  let slept = 0;
  let flushWhileWaking = false;
  const clock = () => time;
  const lanes = [true, false].map((dormant) => {
    const memory = memorySink(clock);
    const store = createGoldenStore({ now: clock });
    const metrics = createMetrics();
    const merge = createMergeStage({
      store,
      sink: memory.sink,
      metrics,
      now: clock,
      ...(dormant
        ? {
            dormancy: {
              idleMs,
              sweepEveryMs: 0,
              onSlept: (n: number) => void (slept += n),
              load: async (ids: string[]) => {
                const stored = memory.load(ids);
                // A flush may end (and sweep) while the stored state is on its way, late enough
                // for the batch's other orders to be quiet. (This lane runs each batch first, so
                // both lanes merge it at the same time.)
                if (flushWhileWaking) {
                  await Promise.resolve();
                  time += idleMs + 1;
                  memory.complete();
                  memory.begin();
                }
                return stored;
              },
            },
          }
        : {}),
    });
    const linker = createShipmentLinker({ maxPending: 1_000_000, onOverflow: () => expect.fail('no overflow expected') });
    return { memory, store, merge, route: createLocalRouter(linker), changes: [] as string[], deletedAsleep: 0 };
  });
  const [napping, awake] = lanes as [(typeof lanes)[0], (typeof lanes)[0]];
  let next = 0;
  let offset = 0;
  const feed = async (slice: readonly CanonicalEvent[]) => {
    for (const lane of lanes) {
      const items: MergeItem[] = slice.flatMap((event) =>
        lane.route(event, time).map((r) => ({ ...r, position: { topic: 't', partition: 0, offset: String(offset++), timestamp: time }, ownerPartition: 0 })),
      );
      for (const c of await lane.merge.merge(items)) lane.changes.push(`${c.orderId}@${c.version}`);
    }
  };
  return (async () => {
    for (const s of [...steps, { size: events.length, flushWhileWaking: false, tick: 0, flush: 'none' as const }]) {
      flushWhileWaking = s.flushWhileWaking;
      await feed(events.slice(next, next + s.size));
      next = Math.min(events.length, next + s.size);
      time += s.tick;
      for (const lane of lanes) {
        if (s.flush === 'complete' || s.flush === 'both') lane.memory.complete();
        if (s.flush === 'begin' || s.flush === 'both') lane.memory.begin();
      }
      napping.deletedAsleep += napping.store.dormantCount - [...napping.store.dormantLiveIds()].length;
    }
    // Quiet at the end: whatever is closed may sleep now, and must come back the same.
    time += idleMs + 1;
    for (const lane of lanes) {
      lane.memory.complete();
      lane.memory.begin();
      lane.memory.complete();
    }

    // Wake whatever still sleeps, to compare whole stores.
    await napping.merge.wake([...napping.store.dormantLiveIds()].map((orderId) => ({ orderId, ownerPartition: 0 })));
    return { awake, napping, slept };
  })();
}

function viewsOf(store: ReturnType<typeof createGoldenStore>): Record<string, GoldenView | null> {
  const out: Record<string, GoldenView | null> = {};
  for (const id of [...store.orderIds()].sort()) out[id] = store.get(id);
  return out;
}

describe('merge stage with dormancy', () => {
  it('putting orders to sleep at any flush and any clock changes no view, no version and no count, and dead-letters nothing', async () => {
    let sleptSomewhere = 0;
    let deletedAsleep = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ seed: fc.integer(), orders: fc.integer({ min: 2, max: 8 }), shuffle: fc.integer() }),
        fc.array(step, { minLength: 10, maxLength: 120 }),
        fc.integer({ min: 0, max: 30 }),
        async ({ seed, orders, shuffle }, steps, idleMs) => {
          const events = shuffleWithDuplicates(generateScenario(seed, orders), shuffle, 0.3);
          const { awake, napping, slept } = await runBoth(events, steps, idleMs);
          sleptSomewhere += slept;
          deletedAsleep += napping.deletedAsleep;
          expect(napping.changes).toEqual(awake.changes);
          expect(napping.memory.stored.dead).toEqual([]);
          // Views with their version and updated_at: the same clock stamped both.
          const held = viewsOf(awake.store);
          const woken = viewsOf(napping.store);
          for (const id of Object.keys(held)) expect(woken[id] ?? null, id).toEqual(held[id]);
          const { dormantOrders: _a, ...awakeCounts } = awake.store.stats();
          const { dormantOrders: _n, ...nappingCounts } = napping.store.stats();
          expect(nappingCounts).toEqual(awakeCounts);
          // Golden rows stored: the newest version per order is the same.
          const newest = (rows: GoldenRow[]) => {
            const byOrder: Record<string, number> = {};
            for (const r of rows) byOrder[r.order_id] = Math.max(byOrder[r.order_id] ?? 0, r.version);
            return byOrder;
          };
          expect(newest(napping.memory.stored.golden)).toEqual(newest(awake.memory.stored.golden));
        },
      ),
      { numRuns: 300 },
    );
    // The property is only worth something if orders did sleep, deleted ones included.
    expect(sleptSomewhere).toBeGreaterThan(50);
    expect(deletedAsleep).toBeGreaterThan(10);
  });

  it('an order asleep whose stored events are gone has its events dead-lettered and counted, and the batch goes on', async () => {
    let time = T0;
    const clock = () => time;
    const memory = memorySink(clock);
    const store = createGoldenStore({ now: clock });
    const metrics = createMetrics();
    const merge = createMergeStage({ store, sink: memory.sink, metrics, now: clock, dormancy: { idleMs: 0, sweepEveryMs: 0, load: async () => [] } });
    const [placed, other] = generateScenario(7, 2).filter((e): e is CrmOrderEvent => e.kind === 'crm_order' && e.op !== 'd');
    const item = (event: CanonicalEvent, orderId: string): MergeItem => ({ orderId, event, position: { topic: 'crm.public.orders', partition: 2, offset: '41', timestamp: time }, ownerPartition: 0 });
    store.markDormant('SO-LOST', 4, T0 - 1000);
    store.markDormant('SO-GONE', 2, T0 - 1000, true);
    const lost = { ...placed!, order_id: 'SO-LOST' } as CanonicalEvent;
    expect(await merge.wake([{ orderId: 'SO-LOST', ownerPartition: 0 }, { orderId: 'SO-GONE', ownerPartition: 0 }])).toBe(0);
    time += 5;
    const changes = merge.apply([item(lost, 'SO-LOST'), item(other!, other!.order_id), item({ ...lost, order_id: 'SO-GONE' } as CanonicalEvent, 'SO-GONE')]);
    expect(changes.map((c) => c.orderId)).toEqual([other!.order_id]);
    memory.begin();
    memory.complete();
    expect(memory.stored.dead).toHaveLength(1);
    expect(memory.stored.dead[0]).toMatchObject({ stage: 'merge', code: 'OL_ERR_ORDER_STATE_MISSING', topic: 'crm.public.orders', partition: 2, offset: '41' });
    expect(memory.stored.dead[0]!.reason).toContain('SO-LOST');
    expect(JSON.parse(memory.stored.dead[0]!.value_json)).toMatchObject({ orderId: 'SO-LOST', event: { order_id: 'SO-LOST' } });
    // Not in the lake: a later restore must not pick up an event the view never took. The lake
    // keeps the deleted order's event, as it keeps every event that was merged.
    expect(memory.stored.lake.map((r) => r.order_id)).toEqual([other!.order_id, 'SO-GONE']);
    expect(store.dormant('SO-LOST')).toMatchObject({ version: 4 });
    const counted = (await metrics.registry.getSingleMetric('orderlake_dead_letters_total')!.get()).values;
    expect(counted).toEqual([expect.objectContaining({ labels: { code: 'OL_ERR_ORDER_STATE_MISSING' }, value: 1 })]);
  });

  it('an event merged without waking its order first is dead-lettered as OL_ERR_ORDER_DORMANT, never thrown', () => {
    const memory = memorySink(() => T0);
    const store = createGoldenStore({ now: () => T0 });
    const merge = createMergeStage({ store, sink: memory.sink, now: () => T0, dormancy: { idleMs: 0, load: async () => [] } });
    store.markDormant('SO-1', 3, T0 - 1);
    const [placed] = generateScenario(3, 1).filter((e) => e.kind === 'crm_order' && e.op !== 'd');
    expect(merge.apply([{ orderId: 'SO-1', event: placed!, position: { topic: 't', partition: 0, offset: '0', timestamp: T0 }, ownerPartition: 0 }])).toEqual([]);
    memory.begin();
    memory.complete();
    expect(memory.stored.dead.map((d) => d.code)).toEqual(['OL_ERR_ORDER_DORMANT']);
  });
});
