import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOSED_STATUSES,
  createGoldenStore,
  createLocalRouter,
  createShipmentLinker,
  type RoutedEvent,
} from '../../../src/golden/index.js';
import type { CanonicalEvent } from '../../../src/normalize/canonical-event.js';
import { storeBodies, viewOf } from '../../helpers/golden-derive.js';
import { generateScenario, shuffleWithDuplicates } from '../../helpers/golden-scenario.js';

function newPipeline() {
  const linker = createShipmentLinker({
    maxPending: 1_000_000,
    onOverflow: () => {
      throw new Error('no overflow expected');
    },
  });
  return { route: createLocalRouter(linker), store: createGoldenStore({ now: () => 0 }) };
}

function finalViews(events: readonly CanonicalEvent[], mode: 'per-event' | 'one-batch' = 'per-event') {
  const { route, store } = newPipeline();
  if (mode === 'per-event') {
    for (const event of events) store.applyBatch(route(event, 0));
  } else {
    const routed: RoutedEvent[] = [];
    for (const event of events) routed.push(...route(event, 0));
    store.applyBatch(routed);
  }
  return { store, views: storeBodies(store) };
}

const scenario = fc.record({ seed: fc.integer(), orders: fc.integer({ min: 1, max: 4 }), shuffle: fc.integer() });

describe('merge properties', () => {
  it('the generator produces the hard cases the properties are about', () => {
    const scenarios = Array.from({ length: 60 }, (_, i) => generateScenario(i, 4));
    const events = scenarios.flat();
    const unlinkedTms = events.filter((e) => e.kind === 'tms' && e.order_ref === null);
    expect(unlinkedTms.length).toBeGreaterThan(20);
    expect(unlinkedTms.some((e) => e.kind === 'tms' && e.fulfillment_ref !== null)).toBe(true);
    expect(events.some((e) => e.kind === 'crm_order' && e.op === 'd')).toBe(true);
    expect(events.some((e) => e.kind === 'crm_line' && e.op === 'd')).toBe(true);
    const views = scenarios.flatMap((s) => Object.values(finalViews(s).views));
    expect(new Set(views.map((v) => v.status)).size).toBeGreaterThan(12);
    expect(new Set(views.flatMap((v) => v.exceptions)).size).toBe(9);
    expect(views.some((v) => v.customer === null)).toBe(true);
  });

  it('any permutation with random duplicates gives the same views', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders, shuffle }) => {
        const events = generateScenario(seed, orders);
        const expected = finalViews(events).views;
        expect(finalViews(shuffleWithDuplicates(events, shuffle)).views).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('one batch gives the same views as one event per batch', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders, shuffle }) => {
        const events = shuffleWithDuplicates(generateScenario(seed, orders), shuffle);
        expect(finalViews(events, 'one-batch').views).toEqual(finalViews(events).views);
      }),
      { numRuns: 200 },
    );
  });

  it('after every change, the view rebuilt part by part equals the view derived from scratch', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders, shuffle }) => {
        const { route, store } = newPipeline();
        const applied = new Map<string, CanonicalEvent[]>();
        for (const event of shuffleWithDuplicates(generateScenario(seed, orders), shuffle)) {
          const routed = route(event, 0);
          for (const r of routed) applied.set(r.orderId, [...(applied.get(r.orderId) ?? []), r.event]);
          for (const change of store.applyBatch(routed)) {
            const { version: _version, updated_at: _updatedAt, ...body } = change.view ?? { version: 0, updated_at: '' };
            expect(change.view === null ? null : body).toEqual(viewOf(applied.get(change.orderId)!, change.orderId));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('putting closed orders to sleep and restoring them from their stored events changes no view and no version', () => {
    let sleptInAllRuns = 0;
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 7 }), ({ seed, orders, shuffle }, sleepEvery) => {
        const events = shuffleWithDuplicates(generateScenario(seed, orders), shuffle);
        const awake = newPipeline();
        const napping = newPipeline();
        // What the lake holds: every routed event of each order.
        const stored = new Map<string, CanonicalEvent[]>();
        let slept = 0;
        events.forEach((event, i) => {
          awake.store.applyBatch(awake.route(event, 0));
          const routed = napping.route(event, 0);
          for (const { orderId } of routed) {
            const asleep = napping.store.dormant(orderId);
            if (asleep) napping.store.restore(orderId, stored.get(orderId) ?? [], asleep.version, asleep.updatedAt);
          }
          for (const r of routed) stored.set(r.orderId, [...(stored.get(r.orderId) ?? []), r.event]);
          napping.store.applyBatch(routed);
          if (i % sleepEvery === 0) {
            slept += napping.store.sleepIdle({ idleSince: Infinity, closed: (v) => v.status !== null && CLOSED_STATUSES.has(v.status) }).length;
          }
        });
        // Wake everything still asleep to compare whole stores.
        for (const orderId of stored.keys()) {
          const asleep = napping.store.dormant(orderId);
          if (asleep) napping.store.restore(orderId, stored.get(orderId)!, asleep.version, asleep.updatedAt);
        }
        expect(storeBodies(napping.store)).toEqual(storeBodies(awake.store));
        for (const orderId of awake.store.orderIds()) {
          expect(napping.store.get(orderId)?.version).toBe(awake.store.get(orderId)?.version);
          expect(napping.store.isDeleted(orderId)).toBe(awake.store.isDeleted(orderId));
        }
        sleptInAllRuns += slept;
      }),
      { numRuns: 150 },
    );
    expect(sleptInAllRuns).toBeGreaterThan(100);
  });

  it('replaying every event again changes nothing', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders, shuffle }) => {
        const events = generateScenario(seed, orders);
        const { route, store } = newPipeline();
        for (const event of events) store.applyBatch(route(event, 0));
        const versions = [...store.orderIds()].map((id) => store.get(id)?.version);
        for (const event of shuffleWithDuplicates(events, shuffle)) expect(store.applyBatch(route(event, 0))).toEqual([]);
        expect([...store.orderIds()].map((id) => store.get(id)?.version)).toEqual(versions);
      }),
      { numRuns: 100 },
    );
  });

  it('restoring an order from its routed events gives the same view at the given version', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders }) => {
        const { route, store } = newPipeline();
        const byOrder = new Map<string, CanonicalEvent[]>();
        for (const event of generateScenario(seed, orders)) {
          const routed = route(event, 0);
          for (const r of routed) byOrder.set(r.orderId, [...(byOrder.get(r.orderId) ?? []), r.event]);
          store.applyBatch(routed);
        }
        const restored = createGoldenStore({ now: () => 0 });
        for (const [orderId, events] of byOrder) restored.restore(orderId, events, 41, 0);
        expect(storeBodies(restored)).toEqual(storeBodies(store));
        for (const id of restored.orderIds()) {
          expect(restored.isDeleted(id)).toBe(store.isDeleted(id));
          if (!restored.isDeleted(id)) expect(restored.get(id)?.version).toBe(41);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the version counts exactly the changes reported for an order', () => {
    fc.assert(
      fc.property(scenario, ({ seed, orders, shuffle }) => {
        const { route, store } = newPipeline();
        const reported = new Map<string, number>();
        for (const event of shuffleWithDuplicates(generateScenario(seed, orders), shuffle)) {
          for (const change of store.applyBatch(route(event, 0))) {
            expect(change.version).toBe((reported.get(change.orderId) ?? 0) + 1);
            expect(change.previous?.version ?? 0).toBe(change.version - 1);
            expect(change.changedFields.length).toBeGreaterThan(0);
            reported.set(change.orderId, change.version);
          }
        }
        for (const id of store.orderIds()) expect(store.get(id)?.version ?? null).toBe(store.isDeleted(id) ? null : reported.get(id));
      }),
      { numRuns: 100 },
    );
  });
});
