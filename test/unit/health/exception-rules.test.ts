import { describe, expect, it } from 'vitest';
import { caseIdOf, createHealthEngine, type CaseChange, type HealthEngine } from '../../../src/health/index.js';
import { crmOrder, DAY, HOUR, iso, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { OrderFeed, watermark } from './support/order-feed.js';
import { referenceRule } from './support/reference-rules.js';

function engineFor(name: string): HealthEngine {
  return createHealthEngine({ rules: [referenceRule(name)] });
}

function steps(changes: readonly CaseChange[]): Array<[string, string]> {
  return changes.map((change) => [change.step, change.case.updated_at]);
}

const P = T0 + 2 * MINUTE;
const promise = T0 + 3 * DAY;
const created = crmOrder();
const paid = crmOrder({ row_version: 2, status: 'PAID', paid_at: P, updated_at: P });
const released = wms('RELEASED', P + 20 * MINUTE, { event_id: 'w1' });
const packed = wms('PACKED', P + HOUR, { event_id: 'w2' });
const S = P + 2 * HOUR;
const shipped = wms('SHIPPED', S, { event_id: 'w3', tracking_no: 'SF1', carrier: 'SF' });

describe('predicted-late (the carrier ETA is beyond the promise)', () => {
  const RULE = 'predicted-late';

  it('opens at once, at the event that moved the ETA, and self-heals when the ETA is back within the promise', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released, packed, shipped));
    const late = tms('IN_TRANSIT', S + HOUR, { event_id: 't1', eta: promise + 2 * HOUR });
    const [opened] = engine.apply(feed.add(late));
    expect(opened?.case).toMatchObject({
      case_id: caseIdOf('order:SO-1', RULE, 'exception'),
      status: 'open',
      at_risk: false,
      opened_at: iso(S + HOUR),
      breached_at: iso(S + HOUR),
      evidence: { codes: ['ETA_BEYOND_PROMISE'], promised_delivery_at: iso(promise) },
    });
    const revised = tms('OUT_FOR_DELIVERY', S + 30 * HOUR, { event_id: 't2', eta: promise - HOUR });
    expect(steps(engine.apply(feed.add(revised)))).toEqual([['self_healed', iso(S + 30 * HOUR)]]);
  });

  it('opens nothing while the ETA keeps the promise', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    expect(engine.apply([...feed.add(created, paid, released, packed, shipped, tms('IN_TRANSIT', S + HOUR, { event_id: 't1', eta: promise - HOUR })), watermark(promise + DAY)])).toEqual([]);
  });
});

describe('address-changed-after-packing', () => {
  const RULE = 'address-changed-after-packing';
  const moved = (at: number, row = 3) => crmOrder({ row_version: row, status: 'PAID', paid_at: P, updated_at: at, ship_line: '人民路8号' });

  it('opens when the address changes after packing, and closes itself once the parcel is delivered', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released, packed));
    const [opened] = engine.apply(feed.add(moved(P + 90 * MINUTE)));
    expect(opened?.case).toMatchObject({ status: 'open', opened_at: iso(P + 90 * MINUTE), evidence: { codes: ['ADDRESS_CHANGED_AFTER_PACKING'], address_changes: 1, packed_at: iso(P + HOUR) } });
    // Still open while it travels: the label may still be wrong.
    expect(engine.apply(feed.add(shipped, tms('IN_TRANSIT', S + HOUR, { event_id: 't1' })))).toMatchObject([{ step: 'evidence' }]);
    expect(steps(engine.apply(feed.add(tms('DELIVERED', S + DAY, { event_id: 't2' }))))).toEqual([['self_healed', iso(S + DAY)]]);
  });

  it('opens nothing for an address changed before packing', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    expect(engine.apply([...feed.add(created, paid, released, moved(P + 30 * MINUTE), packed, shipped), watermark(P + 5 * DAY)])).toEqual([]);
  });
});

describe('cancelled-after-shipment (cancelled after shipment, or shipped after the cancellation)', () => {
  const RULE = 'cancelled-after-shipment';

  it('opens when the customer cancels a shipped order, naming the code', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released, packed, shipped));
    const cancel = crmOrder({ row_version: 3, status: 'CANCELLED', paid_at: P, updated_at: S + HOUR });
    const [opened] = engine.apply(feed.add(cancel));
    expect(opened?.case).toMatchObject({ status: 'open', queue: 'carrier-desk', evidence: { codes: ['CANCELLED_AFTER_SHIPMENT'], cancelled_at: iso(S + HOUR), shipped_at: iso(S) } });
    expect(opened?.case.playbook[0]).toEqual({ step: expect.any(String), action: 'intercept_parcel', link: '/orders/SO-1/timeline' });
  });

  it('opens when the warehouse ships after the cancellation', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    const cancel = crmOrder({ row_version: 3, status: 'CANCELLED', paid_at: P, updated_at: P + 30 * MINUTE });
    const changes = engine.apply(feed.add(created, paid, released, cancel, packed, shipped));
    expect(changes.map((change) => change.case.evidence['codes'])).toEqual([['SHIPPED_AFTER_CANCELLATION']]);
  });

  it('opens nothing for an order cancelled before anything shipped', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    const cancel = crmOrder({ row_version: 3, status: 'CANCELLED', paid_at: P, updated_at: P + 5 * MINUTE });
    expect(engine.apply([...feed.add(created, paid, cancel), watermark(P + 5 * DAY)])).toEqual([]);
  });
});

describe('short-pick', () => {
  const RULE = 'short-pick';

  it('opens at the short pick and stays open for an agent: the missing items do not arrive by themselves', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released));
    const [opened] = engine.apply(feed.add(wms('SHORT_PICKED', P + 40 * MINUTE, { event_id: 'w9' })));
    expect(opened?.case).toMatchObject({ status: 'open', opened_at: iso(P + 40 * MINUTE), queue: 'customer-care' });
    const later = engine.apply(feed.add(packed, shipped, tms('DELIVERED', S + DAY, { event_id: 't1' })));
    expect(later.every((change) => change.step === 'evidence' && change.case.status === 'open')).toBe(true);
  });

  it('opens nothing for a full pick', () => {
    const engine = engineFor(RULE);
    expect(engine.apply([...new OrderFeed().add(created, paid, released, wms('PICKED', P + 40 * MINUTE, { event_id: 'w9' }), packed, shipped), watermark(P + 5 * DAY)])).toEqual([]);
  });
});

describe('carrier-exception', () => {
  const RULE = 'carrier-exception';
  const exception = (at: number, id: string) => tms('EXCEPTION', at, { event_id: id, exception_code: 'WEATHER' });

  it('opens at the exception, self-heals when the carrier moves on, and reopens the same case when it recurs', () => {
    const engine = engineFor(RULE);
    const feed = new OrderFeed();
    engine.apply(feed.add(created, paid, released, packed, shipped, tms('IN_TRANSIT', S + HOUR, { event_id: 't1' })));
    const [opened] = engine.apply(feed.add(exception(S + 5 * HOUR, 't2')));
    expect(opened?.case.evidence['codes']).toEqual(['DELIVERY_EXCEPTION']);
    expect(steps(engine.apply(feed.add(tms('OUT_FOR_DELIVERY', S + 20 * HOUR, { event_id: 't3' }))))).toEqual([['self_healed', iso(S + 20 * HOUR)]]);
    const [reopened] = engine.apply(feed.add(exception(S + 22 * HOUR, 't4')));
    expect(reopened?.step).toBe('reopened');
    expect(reopened?.caseId).toBe(opened?.caseId);
    expect(reopened?.case).toMatchObject({ status: 'open', resolution: null, resolved_at: null, opened_at: iso(S + 5 * HOUR), breached_at: iso(S + 22 * HOUR), version: 3 });
    expect(reopened?.case.history.map((step) => [step.action, step.note])).toEqual([
      ['breached', null],
      ['self_healed', null],
      ['reopened', 'breached'],
    ]);
  });

  it('a restarted worker carries an open exception case on from when it opened', () => {
    const before = engineFor(RULE);
    const feed = new OrderFeed();
    before.apply(feed.add(created, paid, released, packed, shipped, exception(S + 5 * HOUR, 't2')));
    const stored = before.cases();
    const after = engineFor(RULE);
    after.restore(stored);
    expect(after.apply(feed.add(tms('EXCEPTION', S + 9 * HOUR, { event_id: 't3', exception_code: 'DAMAGED' })))).toMatchObject([
      { caseId: stored[0]?.case_id, step: 'evidence', case: { since: iso(S + 5 * HOUR), breached_at: iso(S + 5 * HOUR), version: 2 } },
    ]);
  });

  it('opens nothing for a parcel that travels without exception', () => {
    const engine = engineFor(RULE);
    expect(engine.apply([...new OrderFeed().add(created, paid, released, packed, shipped, tms('IN_TRANSIT', S + HOUR, { event_id: 't1' }), tms('DELIVERED', S + DAY, { event_id: 't2' })), watermark(S + 9 * DAY)])).toEqual([]);
  });
});
