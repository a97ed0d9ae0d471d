import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createChangeFeed, createFollowedFeed, type FeedChange, type FollowedVersion } from '../../../src/feed/index.js';
import { GOLDEN_BODY_FIELDS, type GoldenView, type ViewSource } from '../../../src/golden/index.js';

/**
 * The followed feed of a worker among several, as a pure unit: a fake store (what this worker's
 * merge holds: restored or made here) whose contents the test sets, the local feed the merge
 * publishes on, and the changelog records handed to `follow`.
 */

const ALL_FIELDS: string[] = [...GOLDEN_BODY_FIELDS];
/** What every version but the first (and a delete) changes in the canonical views below. */
const STEP_FIELDS = ['address_changes', 'status'];
const T0 = Date.UTC(2024, 0, 1);

/** Version `version` of an order, the same whoever makes it. */
function viewOf(orderId: string, version: number): GoldenView {
  return {
    order_id: orderId,
    channel: 'web',
    currency: 'CNY',
    gift_order: false,
    buyer_note: null,
    customer: null,
    ship_to: null,
    address_changes: version,
    lines: [],
    total_amount: null,
    payment: null,
    fulfillments: [],
    shipments: [],
    after_sales: [],
    created_at: null,
    paid_at: null,
    promised_delivery_at: null,
    released_at: null,
    packed_at: null,
    shipped_at: null,
    delivered_at: null,
    cancelled_at: null,
    status: `S${version}`,
    on_time: null,
    exceptions: [],
    sources: { crm: null, wms: null, tms: null },
    version,
    updated_at: new Date(T0 + version * 1000).toISOString(),
  };
}

/** Orders whose last version deletes them: order id → that version. */
type Deletes = ReadonlyMap<string, number>;

function canonicalView(orderId: string, version: number, deletes: Deletes): GoldenView | null {
  if (version === 0 || deletes.get(orderId) === version) return null;
  return viewOf(orderId, version);
}

function canonicalFields(orderId: string, version: number, deletes: Deletes): string[] {
  return version === 1 || deletes.get(orderId) === version ? ALL_FIELDS : STEP_FIELDS;
}

/** A store as the followed feed sees it: `get` → null for unknown and deleted orders, tombstones listed by `orderIds`, as the golden store does. */
function fakeStore() {
  const entries = new Map<string, { version: number; view: GoldenView | null }>();
  const source: ViewSource = {
    get: (orderId) => entries.get(orderId)?.view ?? null,
    isDeleted: (orderId) => {
      const entry = entries.get(orderId);
      return entry !== undefined && entry.view === null;
    },
    orderIds: () => entries.keys(),
  };
  return {
    source,
    set(orderId: string, version: number, view: GoldenView | null) {
      entries.set(orderId, { version, view });
    },
    evict(orderId: string) {
      entries.delete(orderId);
    },
    version: (orderId: string) => entries.get(orderId)?.version ?? 0,
  };
}

function harness(options: { maxOrders?: number; deletes?: Deletes } = {}) {
  const deletes = options.deletes ?? new Map<string, number>();
  const store = fakeStore();
  const local = createChangeFeed();
  const followed = createFollowedFeed({ local, store: store.source, maxOrders: options.maxOrders ?? 10_000 });
  const out: FeedChange[] = [];
  followed.feed.subscribe((changes) => void out.push(...changes));
  return {
    store,
    followed,
    out,
    views: followed.views,
    /** Takeover: the store rebuilt at `version` (no change published). */
    restore(orderId: string, version: number) {
      store.set(orderId, version, canonicalView(orderId, version, deletes));
    },
    /** One batch of the local merge: the store holds each new version when the batch is published. */
    local(batch: ReadonlyArray<readonly [orderId: string, version: number]>) {
      const changes: FeedChange[] = batch.map(([orderId, version]) => {
        const view = canonicalView(orderId, version, deletes);
        store.set(orderId, version, view);
        return {
          orderId,
          view,
          previous: canonicalView(orderId, version - 1, deletes),
          version,
          changedFields: canonicalFields(orderId, version, deletes),
          sourceTime: T0 + version,
          kafkaTime: T0 + version,
        };
      });
      local.publish(changes);
    },
    /** Records read from the changelog. */
    follow(batch: ReadonlyArray<readonly [orderId: string, version: number]>) {
      followed.follow(batch.map(([orderId, version]): FollowedVersion => ({ orderId, version, view: canonicalView(orderId, version, deletes), changedFields: canonicalFields(orderId, version, deletes), timestamp: T0 + version })));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The model: per order, versions 1..n (the last maybe a delete). Versions from `firstLocal` on are
// made here (the store restored at firstLocal - 1 before, on a takeover); the changelog carries any
// of the versions 1..n, in order, with repeats and rewinds (re-deliveries). Every order's two
// sources are interleaved with every other order's at random.

interface OrderPlan {
  n: number;
  deleteLast: boolean;
  firstLocal: number;
  /** Restore the store at firstLocal - 1 at a random point before the first local version (else just before it, implicitly). */
  restoreEarly: boolean;
  include: boolean[];
  repeat: number[];
  rewindFrom: number | null;
}

const orderPlanArb = (options: { noLoss: boolean }): fc.Arbitrary<OrderPlan> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 6 }),
      deleteLast: fc.boolean(),
      firstLocal: fc.integer({ min: 1, max: 7 }),
      restoreEarly: fc.boolean(),
      include: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      repeat: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 6, maxLength: 6 }),
      rewindFrom: fc.option(fc.nat(5), { nil: null }),
    })
    .map((p) => ({
      ...p,
      firstLocal: Math.min(p.firstLocal, p.n + 1),
      // With no loss, every version made elsewhere is on the changelog.
      include: options.noLoss ? p.include.map((inc, i) => inc || i + 1 < Math.min(p.firstLocal, p.n + 1)) : p.include,
    }));

type Step = { kind: 'local' | 'topic' | 'restore'; orderId: string; version: number };

function stepsOf(orderId: string, plan: OrderPlan): { local: Step[]; topic: Step[] } {
  const local: Step[] = [];
  for (let v = plan.firstLocal; v <= plan.n; v++) local.push({ kind: 'local', orderId, version: v });
  if (plan.firstLocal > 1 && plan.firstLocal <= plan.n && plan.restoreEarly) local.unshift({ kind: 'restore', orderId, version: plan.firstLocal - 1 });
  const carried: number[] = [];
  for (let v = 1; v <= plan.n; v++) if (plan.include[v - 1]) carried.push(v);
  const topic: Step[] = [];
  carried.forEach((v, i) => {
    for (let r = 0; r < plan.repeat[i]!; r++) topic.push({ kind: 'topic', orderId, version: v });
  });
  if (plan.rewindFrom !== null) for (const v of carried.slice(plan.rewindFrom)) topic.push({ kind: 'topic', orderId, version: v });
  return { local, topic };
}

/** Interleaves the queues at random (per queue order kept), `choices` picking the next queue. */
function interleave(queues: Step[][], choices: readonly number[]): Step[] {
  const qs = queues.map((q) => [...q]).filter((q) => q.length > 0);
  const steps: Step[] = [];
  let i = 0;
  while (qs.length > 0) {
    const k = (choices[i++ % Math.max(choices.length, 1)] ?? 0) % qs.length;
    steps.push(qs[k]!.shift()!);
    if (qs[k]!.length === 0) qs.splice(k, 1);
  }
  return steps;
}

/** Groups consecutive steps into the batches the feed gets: a changelog poll, a merge batch (one change per order). */
function batches(steps: Step[], breaks: readonly boolean[]): Step[][] {
  const out: Step[][] = [];
  steps.forEach((step, i) => {
    const last = out[out.length - 1];
    const joins =
      last !== undefined &&
      !breaks[i % Math.max(breaks.length, 1)] &&
      step.kind !== 'restore' &&
      last[0]!.kind === step.kind &&
      (step.kind === 'topic' || !last.some((s) => s.orderId === step.orderId));
    if (joins) last.push(step);
    else out.push([step]);
  });
  return out;
}

const scenarioArb = (options: { noLoss: boolean }) =>
  fc.record({
    plans: fc.array(orderPlanArb(options), { minLength: 1, maxLength: 4 }),
    choices: fc.array(fc.nat(), { minLength: 1, maxLength: 80 }),
    breaks: fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
  });

/** Runs a scenario through the feed and checks, after every batch, the output and the views against the model. */
function checkScenario({ plans, choices, breaks }: { plans: OrderPlan[]; choices: number[]; breaks: boolean[] }): void {
  const ids = plans.map((_, i) => `o${i}`);
  const deletes = new Map<string, number>();
  plans.forEach((p, i) => p.deleteLast && deletes.set(ids[i]!, p.n));
  const h = harness({ deletes });
  const queues = plans.flatMap((p, i) => {
    const { local, topic } = stepsOf(ids[i]!, p);
    return [local, topic];
  });
  const steps = interleave(queues, choices);

  /** The model: newest version passed on per order. */
  const lastOut = new Map<string, number>();
  const firstDelivered = new Map<string, number[]>();
  let seen = 0;
  for (const batch of batches(steps, breaks)) {
    const expected: Array<{ orderId: string; version: number; prev: number }> = [];
    for (const s of batch) {
      if (s.kind === 'restore') continue;
      const order = firstDelivered.get(s.orderId) ?? [];
      if (!order.includes(s.version)) order.push(s.version);
      firstDelivered.set(s.orderId, order);
      const prev = lastOut.get(s.orderId) ?? 0;
      // Passed on unless a version as new has been passed on already; for an order nothing was passed
      // on for yet, unless the store holds it already (the rebuild of a takeover, nothing to chain to).
      if (s.version > (prev > 0 ? prev : h.store.version(s.orderId))) {
        expected.push({ orderId: s.orderId, version: s.version, prev });
        lastOut.set(s.orderId, s.version);
      }
    }
    const kind = batch[0]!.kind;
    const pairs = batch.map((s) => [s.orderId, s.version] as const);
    if (kind === 'restore') h.restore(batch[0]!.orderId, batch[0]!.version);
    else if (kind === 'local') h.local(pairs);
    else h.follow(pairs);

    const got = h.out.slice(seen);
    seen = h.out.length;
    // (1) each version once, in order, unless something as new went before.
    expect(
      got.map((c) => `${c.orderId}@${c.version}`),
      `after ${kind} ${pairs.map((p) => p.join('@')).join(' ')}`,
    ).toEqual(expected.map((e) => `${e.orderId}@${e.version}`));
    // (2) previous / changedFields: the previous version's view, or after a gap none and every field.
    got.forEach((c, i) => {
      const { prev } = expected[i]!;
      expect(c.view).toEqual(canonicalView(c.orderId, c.version, deletes));
      const chained = c.version === prev + 1;
      if (chained) {
        expect(c.previous, `${c.orderId}@${c.version} follows ${prev}`).toEqual(canonicalView(c.orderId, prev, deletes));
        expect(c.changedFields).toEqual(canonicalFields(c.orderId, c.version, deletes));
      } else if (prev === 0 && c.previous !== null) {
        // The first version passed on for an order: the store's view of the version before is right too.
        expect(c.previous).toEqual(canonicalView(c.orderId, c.version - 1, deletes));
        expect(c.changedFields).toEqual(canonicalFields(c.orderId, c.version, deletes));
      } else {
        expect(c.previous, `${c.orderId}@${c.version} after a gap from ${prev}`).toBeNull();
        expect([...c.changedFields]).toEqual(ALL_FIELDS);
      }
    });
    // (3) the views: the newest version known, in the store or followed.
    const listed = new Set(h.views.orderIds());
    for (const orderId of ids) {
      const newest = Math.max(h.store.version(orderId), lastOut.get(orderId) ?? 0);
      const view = canonicalView(orderId, newest, deletes);
      expect(h.views.get(orderId), `view of ${orderId} (newest ${newest})`).toEqual(view);
      expect(h.views.isDeleted(orderId), `${orderId} deleted (newest ${newest})`).toBe(newest > 0 && view === null);
      if (view !== null) expect(listed.has(orderId)).toBe(true);
      else if (h.store.version(orderId) === 0) expect(listed.has(orderId)).toBe(false);
    }
  }
  // With every version first delivered in order (no gap), and no rebuild ahead of them, the output is exactly 1..n.
  plans.forEach((p, i) => {
    const orderId = ids[i]!;
    const delivered = firstDelivered.get(orderId) ?? [];
    const rebuilt = steps.some((s) => s.kind === 'restore' && s.orderId === orderId);
    const inOrder = !rebuilt && delivered.length === p.n && delivered.every((v, j) => v === j + 1);
    if (inOrder) {
      expect(h.out.filter((c) => c.orderId === orderId).map((c) => c.version)).toEqual(Array.from({ length: p.n }, (_, j) => j + 1));
    }
  });
}

describe('followed feed: the model', () => {
  it('passes each version once, in order, with gaps marked, and views the newest (any interleaving, repeats, rewinds)', () => {
    fc.assert(fc.property(scenarioArb({ noLoss: false }), checkScenario), { numRuns: 1000 });
  });

  it('with every version on the changelog: the same', () => {
    fc.assert(fc.property(scenarioArb({ noLoss: true }), checkScenario), { numRuns: 500 });
  });

  it('with every version first delivered in order, the output is exactly 1..n per order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ n: fc.integer({ min: 1, max: 8 }), local: fc.integer({ min: 1, max: 9 }), echo: fc.boolean() }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        (orders, choices) => {
          // Per order: versions from `local` on made here (echoed on the changelog after), the ones before read from the changelog.
          const h = harness();
          const queues = orders.map(({ n, local, echo }, i) => {
            const orderId = `o${i}`;
            const q: Step[] = [];
            for (let v = 1; v <= n; v++) {
              if (v < local) q.push({ kind: 'topic', orderId, version: v });
              else {
                q.push({ kind: 'local', orderId, version: v });
                if (echo) q.push({ kind: 'topic', orderId, version: v });
              }
            }
            return q;
          });
          for (const s of interleave(queues, choices)) (s.kind === 'local' ? h.local : h.follow)([[s.orderId, s.version]]);
          orders.forEach(({ n }, i) => {
            const mine = h.out.filter((c) => c.orderId === `o${i}`);
            expect(mine.map((c) => c.version)).toEqual(Array.from({ length: n }, (_, j) => j + 1));
            mine.forEach((c) => expect(c.previous).toEqual(canonicalView(c.orderId, c.version - 1, new Map())));
          });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('followed feed: examples', () => {
  it('drops the changelog echo of a version made here', () => {
    const h = harness();
    h.local([['a', 1]]);
    h.local([['a', 2]]);
    h.follow([
      ['a', 1],
      ['a', 2],
    ]);
    expect(h.out.map((c) => c.version)).toEqual([1, 2]);
    expect(h.followed.followedOrders).toBe(1);
  });

  it('passes a version after a changelog gap with no previous view and every field', () => {
    const h = harness();
    h.follow([['b', 1]]);
    h.follow([['b', 4]]);
    expect(h.out[1]).toMatchObject({ orderId: 'b', version: 4, previous: null });
    expect(h.out[1]!.changedFields).toEqual(ALL_FIELDS);
    expect(h.out[1]!.view).toEqual(viewOf('b', 4));
    expect(h.out[1]!.sourceTime).toBe(T0 + 4);
    h.follow([
      ['b', 2],
      ['b', 3],
      ['b', 5],
    ]);
    expect(h.out.map((c) => c.version)).toEqual([1, 4, 5]);
    expect(h.out[2]!.previous).toEqual(viewOf('b', 4));
    expect(h.out[2]!.changedFields).toEqual(STEP_FIELDS);
  });

  it('takeover: the previous owner\'s versions read before the rebuild, then the next one made here, chained', () => {
    const h = harness();
    h.follow([
      ['c', 1],
      ['c', 2],
    ]);
    h.restore('c', 2);
    h.local([['c', 3]]);
    h.follow([
      ['c', 2],
      ['c', 3],
    ]);
    expect(h.out.map((c) => [c.version, c.previous?.version ?? null])).toEqual([
      [1, null],
      [2, 1],
      [3, 2],
    ]);
  });

  it('takeover: a version made here after a gap in what was passed on comes with no previous view', () => {
    // Read 1 from the changelog; the rebuild holds 3 (2 and 3 not read yet); this worker makes 4.
    const h = harness();
    h.follow([['d', 1]]);
    h.restore('d', 3);
    h.local([['d', 4]]);
    const four = h.out.find((c) => c.version === 4)!;
    expect(four.previous, 'a subscriber holding version 1 must get every field of version 4').toBeNull();
    expect([...four.changedFields]).toEqual(ALL_FIELDS);
  });

  it('takeover: versions of the previous owner read after the rebuild, never passed on, are not dropped', () => {
    const h = harness();
    h.follow([['e', 1]]);
    h.restore('e', 3);
    h.follow([
      ['e', 2],
      ['e', 3],
    ]);
    h.local([['e', 4]]);
    expect(h.out.map((c) => c.version)).toEqual([1, 2, 3, 4]);
    expect(h.out[3]!.previous).toEqual(viewOf('e', 3));
  });

  it('a delete read from the changelog before the store makes it here: get and isDeleted agree', () => {
    // The previous owner made and produced 2 (a delete) but crashed before storing it; the rebuild holds 1.
    const h = harness({ deletes: new Map([['f', 2]]) });
    h.restore('f', 1);
    h.follow([['f', 2]]);
    expect(h.views.get('f')).toBeNull();
    expect(h.views.isDeleted('f')).toBe(true);
    h.local([['f', 2]]);
    expect(h.out.map((c) => c.version)).toEqual([2]);
    expect(h.views.isDeleted('f')).toBe(true);
  });

  it('views: followed orders with a view are listed, deleted ones are not', () => {
    const h = harness({ deletes: new Map([['g', 2]]) });
    h.follow([
      ['g', 1],
      ['h', 1],
    ]);
    h.local([['mine', 1]]);
    expect(new Set(h.views.orderIds())).toEqual(new Set(['g', 'h', 'mine']));
    h.follow([['g', 2]]);
    expect(new Set(h.views.orderIds())).toEqual(new Set(['h', 'mine']));
    expect(h.views.get('g')).toBeNull();
    expect(h.views.isDeleted('g')).toBe(true);
    expect(h.views.isDeleted('h')).toBe(false);
    expect(h.views.get('h')).toEqual(viewOf('h', 1));
    expect(h.views.get('unknown')).toBeNull();
    expect(h.views.isDeleted('unknown')).toBe(false);
  });

  it('close stops following the local feed', () => {
    const h = harness();
    h.followed.close();
    h.local([['i', 1]]);
    expect(h.out).toEqual([]);
    h.follow([['i', 1]]);
    expect(h.out).toEqual([]); // the store holds 1 already
    h.follow([['j', 1]]);
    expect(h.out.map((c) => c.orderId)).toEqual(['j']);
  });

  it('a listener that throws is reported, others still get the change', () => {
    const errors: unknown[] = [];
    const local = createChangeFeed();
    const store = fakeStore();
    const followed = createFollowedFeed({ local, store: store.source, maxOrders: 10, onListenerError: (err) => errors.push(err) });
    const got: FeedChange[] = [];
    followed.feed.subscribe(() => {
      throw new Error('boom');
    });
    followed.feed.subscribe((cs) => void got.push(...cs));
    followed.follow([{ orderId: 'k', version: 1, view: viewOf('k', 1), changedFields: ALL_FIELDS, timestamp: T0 }]);
    expect(got).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('an owned order deleted here and dropped from the followed views: its late changelog echo is not passed on again', () => {
    const h = harness({ maxOrders: 1, deletes: new Map([['own', 2]]) });
    h.local([['own', 1]]);
    h.local([['own', 2]]); // deleted here: the store keeps a tombstone
    h.follow([['other', 1]]); // evicts 'own' from the followed views (maxOrders 1)
    h.follow([
      ['own', 1],
      ['own', 2],
    ]);
    expect(h.out.filter((c) => c.orderId === 'own').map((c) => c.version)).toEqual([1, 2]);
    expect(h.views.get('own')).toBeNull();
  });
});

describe('followed feed: maxOrders', () => {
  it('holds at most maxOrders orders, the most recently changed, and marks a version of an evicted order as after a gap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ order: fc.integer({ min: 0, max: 6 }), local: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        (maxOrders, ops) => {
          const h = harness({ maxOrders });
          /** Each order's next version (changelog orders and local orders disjoint: odd ones are made here). */
          const next = new Map<string, number>();
          /** LRU model of the followed views: order → newest version passed on, oldest changed first. */
          const lru = new Map<string, number>();
          let seen = 0;
          for (const { order, local } of ops) {
            const orderId = local ? `mine${order}` : `other${order}`;
            const version = (next.get(orderId) ?? 0) + 1;
            next.set(orderId, version);
            const held = lru.get(orderId);
            if (local) h.local([[orderId, version]]);
            else h.follow([[orderId, version]]);
            const got = h.out.slice(seen);
            seen = h.out.length;
            expect(got.map((c) => `${c.orderId}@${c.version}`)).toEqual([`${orderId}@${version}`]);
            const c = got[0]!;
            if (!local && held === undefined && version > 1) {
              // Evicted (or never held): after a gap.
              expect(c.previous).toBeNull();
              expect([...c.changedFields]).toEqual(ALL_FIELDS);
            } else {
              expect(c.previous).toEqual(version === 1 ? null : viewOf(orderId, version - 1));
            }
            lru.delete(orderId);
            lru.set(orderId, version);
            if (lru.size > maxOrders) lru.delete(lru.keys().next().value!);
            expect(h.followed.followedOrders).toBe(lru.size);
            expect(h.followed.followedOrders).toBeLessThanOrEqual(maxOrders);
            for (const [id, v] of next) {
              // Orders made here are always in the store; the others only while held.
              const expected = id.startsWith('mine') || lru.has(id) ? viewOf(id, v) : null;
              expect(h.views.get(id), id).toEqual(expected);
            }
            const listed = new Set(h.views.orderIds());
            for (const id of next.keys()) expect(listed.has(id)).toBe(id.startsWith('mine') || lru.has(id));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
