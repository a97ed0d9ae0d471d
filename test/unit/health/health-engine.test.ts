import { describe, expect, it } from 'vitest';
import { batchInputs, compareCases, createHealthEngine, type HealthCase, type HealthInput } from '../../../src/health/index.js';
import { crmOrder, DAY, HOUR, iso, MINUTE, T0, wms } from '../../helpers/golden-events.js';
import { OrderFeed, watermark } from './support/order-feed.js';
import { referenceRule, referenceRules } from './support/reference-rules.js';

const P = T0 + 2 * MINUTE;
const paidImages = (orderId: string, extra: Parameters<typeof crmOrder>[0] = {}) => [
  crmOrder({ order_id: orderId, ...extra }),
  crmOrder({ order_id: orderId, row_version: 2, status: 'PAID', paid_at: P, updated_at: P, ...extra }),
];
const paidNotReleased = () => createHealthEngine({ rules: [referenceRule('paid-not-released')] });

describe('the health engine', () => {
  it('keeps orders apart: two gift orders to the same address are two orders with two cases', () => {
    const engine = paidNotReleased();
    const gift = { gift_order: true, ship_name: '陈静', ship_line: '南京西路1号' };
    const changes = engine.apply([...new OrderFeed('SO-1').add(...paidImages('SO-1', gift)), ...new OrderFeed('SO-2').add(...paidImages('SO-2', gift)), watermark(P + HOUR)]);
    const cases = engine.cases().map((held) => [held.order_id, held.case_id]);
    expect(cases).toHaveLength(2);
    expect(new Set(cases.map(([, id]) => id)).size).toBe(2);
    expect(changes.map((change) => change.case.order_id)).toEqual(['SO-1', 'SO-2', 'SO-1', 'SO-2']);
  });

  it('ignores a view it has seen (a redelivered change): version not above the last one', () => {
    const engine = paidNotReleased();
    const feed = new OrderFeed();
    const paidView = feed.add(...paidImages('SO-1'));
    const releasedView = feed.add(wms('RELEASED', P + 50 * MINUTE, { event_id: 'w1' }));
    engine.apply([...paidView, watermark(P + HOUR)]);
    expect(engine.apply(releasedView)).toMatchObject([{ step: 'self_healed' }]);
    // The older view again would otherwise reopen the wait.
    expect(engine.apply([...paidView, ...releasedView, watermark(P + DAY)])).toEqual([]);
  });

  it('self-heals the cases of a deleted order', () => {
    const engine = paidNotReleased();
    engine.apply([...new OrderFeed().add(...paidImages('SO-1')), watermark(P + HOUR)]);
    const changes = engine.apply([{ type: 'view', orderId: 'SO-1', view: null, version: 2 }]);
    expect(changes.map((change) => [change.step, change.case.resolved_at])).toEqual([['self_healed', iso(P + HOUR)]]);
    expect(engine.stats()).toMatchObject({ open: 0, timers: 0 });
  });

  it('restored cases carry on under their ids after a takeover, or heal when their condition ended meanwhile', () => {
    const before = paidNotReleased();
    const feed = new OrderFeed();
    const paidView = feed.add(...paidImages('SO-1'));
    before.apply([...paidView, watermark(P + 40 * MINUTE)]);
    const stored = before.cases();
    expect(stored.map((held) => [held.status, held.at_risk])).toEqual([['open', true]]);

    // Another worker takes the partition over: cases from the sink, then the order's view.
    const after = paidNotReleased();
    after.restore(stored);
    expect(after.apply(paidView)).toEqual([]);
    const [breach] = after.apply([watermark(P + 45 * MINUTE)]);
    expect(breach).toMatchObject({ caseId: stored[0]?.case_id, step: 'breached', version: 2, previous: stored[0] });

    // Restored while the order was released in between: the case heals on the first view.
    const released = paidNotReleased();
    released.restore(stored);
    const releasedView = feed.add(wms('RELEASED', P + 42 * MINUTE, { event_id: 'w1' }));
    expect(released.apply(releasedView).map((change) => [change.caseId, change.step, change.case.resolved_at])).toEqual([
      [stored[0]?.case_id, 'self_healed', iso(P + 42 * MINUTE)],
    ]);
  });

  it('a restored case of a rule no longer loaded self-heals at the next view of its order', () => {
    const before = paidNotReleased();
    const feed = new OrderFeed();
    before.apply([...feed.add(...paidImages('SO-1')), watermark(P + HOUR)]);
    const after = createHealthEngine({ rules: [referenceRule('short-pick')] });
    after.restore(before.cases());
    const changes = after.apply(feed.add(wms('RELEASED', P + 2 * HOUR, { event_id: 'w1' })));
    expect(changes.map((change) => [change.case.rule, change.step])).toEqual([['paid-not-released', 'self_healed']]);
  });

  it('evict forgets an order: its cases and deadlines', () => {
    const engine = paidNotReleased();
    engine.apply(new OrderFeed().add(...paidImages('SO-1')));
    expect(engine.stats()).toMatchObject({ cases: 0, timers: 1 });
    engine.apply([watermark(P + 40 * MINUTE)]);
    expect(engine.casesOfOrder('SO-1')).toHaveLength(1);
    engine.evict('SO-1');
    expect(engine.casesOfOrder('SO-1')).toEqual([]);
    expect(engine.stats()).toMatchObject({ cases: 0, open: 0, timers: 0 });
    expect(engine.apply([watermark(P + DAY)])).toEqual([]);
  });

  it('lists cases sorted by subject, order id, rule and id', () => {
    const engine = createHealthEngine({ rules: [...referenceRules().values()] });
    engine.apply([
      ...new OrderFeed('SO-2').add(...paidImages('SO-2')),
      ...new OrderFeed('SO-1').add(...paidImages('SO-1')),
      { type: 'shipment_waiting', trackingNo: 'SF1', eventTime: P },
      watermark(P + DAY),
    ]);
    const listed = engine.cases();
    expect(listed).toEqual([...listed].sort(compareCases));
    expect(listed.map((held: HealthCase) => [held.subject, held.order_id ?? held.tracking_no ?? held.source, held.rule])).toEqual([
      ['order', 'SO-1', 'paid-not-released'],
      ['order', 'SO-2', 'paid-not-released'],
      ['shipment', 'SF1', 'unlinked-shipment'],
    ]);
    expect(engine.stats()).toMatchObject({ cases: 3, open: 3, atRisk: 0, waitingShipments: 1 });
  });

  it('batchInputs puts a batch\'s views before its arrivals, as one input', () => {
    const view = new OrderFeed().add(...paidImages('SO-1'))[0]!;
    const arrivals = [{ source: 'crm' as const, eventTime: P, arrivedAt: P + 5 }];
    expect(batchInputs([{ orderId: 'SO-1', view: view.view, version: 1 }], arrivals)).toEqual<HealthInput[]>([view, { type: 'arrivals', arrivals }]);
    expect(batchInputs([], [])).toEqual([]);
  });

  it('allowed lateness holds a breach back until event time is that far past it', () => {
    const engine = createHealthEngine({ rules: [referenceRule('paid-not-released')], allowedLatenessMs: 10 * MINUTE });
    engine.apply(new OrderFeed().add(...paidImages('SO-1')));
    expect(engine.apply([watermark(P + 45 * MINUTE)])).toEqual([]);
    expect(engine.watermark).toBe(P + 35 * MINUTE);
    expect(engine.apply([watermark(P + 46 * MINUTE)]).map((change) => change.step)).toEqual(['at_risk']);
    expect(engine.apply([watermark(P + 55 * MINUTE)]).map((change) => [change.step, change.case.breached_at])).toEqual([['breached', iso(P + 45 * MINUTE)]]);
  });
});
