import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../../src/normalize/canonical-event.js';
import { crmCase, crmOrder, DAY, HOUR, iso, T0, tms, wms } from '../../helpers/golden-events.js';
import { mustView } from '../../helpers/golden-derive.js';

const paid = crmOrder({ status: 'PAID', paid_at: T0, row_version: 2, updated_at: T0 + 1 });
const cancelled = (at: number) => crmOrder({ status: 'CANCELLED', row_version: 3, updated_at: at });
const statusOf = (events: CanonicalEvent[]) => mustView(events).status;

/** A fulfillment shipped with its own tracking number and the carrier events given. */
function shippedFulfillment(ff: string, tn: string, codes: string[], at = T0 + HOUR): CanonicalEvent[] {
  return [
    wms('SHIPPED', at, { event_id: `${ff}-s`, fulfillment_id: ff, tracking_no: tn, carrier: 'SF' }),
    ...codes.map((code, i) => tms(code, at + (i + 1) * HOUR, { event_id: `${tn}-${i}`, tracking_no: tn })),
  ];
}

describe('rule 1: an open after-sales case', () => {
  const cases: Array<[string, string, string]> = [
    ['EXCHANGE', 'REQUESTED', 'EXCHANGE_REQUESTED'],
    ['EXCHANGE', 'APPROVED', 'EXCHANGE_REQUESTED'],
    ['EXCHANGE', 'REPLACEMENT_SHIPPED', 'EXCHANGE_SHIPPED'],
    ['RETURN', 'REQUESTED', 'RETURN_REQUESTED'],
    ['RETURN', 'APPROVED', 'RETURN_REQUESTED'],
    ['RETURN', 'ITEM_RECEIVED', 'RETURN_RECEIVED'],
    ['RETURN', 'REFUNDED', 'REFUNDED'],
    ['REFUND_ONLY', 'REQUESTED', 'RETURN_REQUESTED'],
    ['REFUND_ONLY', 'REFUNDED', 'REFUNDED'],
  ];
  for (const [caseType, caseStatus, expected] of cases) {
    it(`${caseType} ${caseStatus} → ${expected}`, () => {
      const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED']), crmCase({ case_id: 'AS-1', case_type: caseType, status: caseStatus }, { lsn: 50 })];
      expect(statusOf(events)).toBe(expected);
    });
  }

  it('picks the case with the latest created_at, then the highest case_id', () => {
    const older = crmCase({ case_id: 'AS-9', case_type: 'EXCHANGE', created_at: T0 + DAY }, { lsn: 50 });
    const newer = crmCase({ case_id: 'AS-1', case_type: 'RETURN', created_at: T0 + 2 * DAY }, { lsn: 51 });
    expect(statusOf([paid, older, newer])).toBe('RETURN_REQUESTED');
    const tieLow = crmCase({ case_id: 'AS-10', case_type: 'RETURN', created_at: T0 + DAY }, { lsn: 52 });
    const tieHigh = crmCase({ case_id: 'AS-2', case_type: 'EXCHANGE', created_at: T0 + DAY }, { lsn: 53 });
    expect(statusOf([paid, tieHigh, tieLow])).toBe('EXCHANGE_REQUESTED');
  });

  it('ignores REJECTED and CLOSED cases when choosing', () => {
    const rejected = crmCase({ case_id: 'AS-2', case_type: 'EXCHANGE', status: 'REJECTED', created_at: T0 + 3 * DAY }, { lsn: 60 });
    const open = crmCase({ case_id: 'AS-1', case_type: 'RETURN', status: 'ITEM_RECEIVED' }, { lsn: 61 });
    expect(statusOf([paid, rejected, open])).toBe('RETURN_RECEIVED');
  });

  it('wins over a cancelled CRM row', () => {
    expect(statusOf([cancelled(T0 + HOUR), crmCase({ case_id: 'AS-1' }, { lsn: 50 })])).toBe('RETURN_REQUESTED');
  });
});

describe('rule 2: a CLOSED case with a refund', () => {
  it('→ REFUNDED', () => {
    const closed = crmCase({ case_id: 'AS-1', status: 'CLOSED', refund_amount: '25.50' }, { lsn: 50 });
    expect(statusOf([paid, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED']), closed])).toBe('REFUNDED');
  });

  it('not for a CLOSED case without a refund', () => {
    const closed = crmCase({ case_id: 'AS-1', status: 'CLOSED', refund_amount: null }, { lsn: 50 });
    expect(statusOf([paid, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED']), closed])).toBe('DELIVERED');
  });

  it('not for a deleted case', () => {
    const closed = crmCase({ case_id: 'AS-1', status: 'CLOSED', refund_amount: '1.00' }, { lsn: 50 });
    const del = crmCase({ case_id: 'AS-1' }, { lsn: 51, op: 'd' });
    expect(statusOf([paid, closed, del])).toBe('PAID');
  });
});

describe('rule 3: cancelled in the CRM before anything shipped', () => {
  it('→ CANCELLED while shipped_at is null', () => {
    expect(statusOf([paid, cancelled(T0 + HOUR), wms('PACKED', T0, { event_id: 'p' })])).toBe('CANCELLED');
  });

  it('does not apply once something shipped', () => {
    const events = [paid, cancelled(T0 + HOUR), ...shippedFulfillment('FF-1', 'SF1', ['IN_TRANSIT'], T0 + 2 * HOUR)];
    expect(statusOf(events)).toBe('IN_TRANSIT');
  });

  it('does not apply when the newest row is no longer CANCELLED', () => {
    const reopened = crmOrder({ status: 'PAID', paid_at: T0, row_version: 4, updated_at: T0 + 2 * HOUR });
    expect(statusOf([paid, cancelled(T0 + HOUR), reopened])).toBe('PAID');
  });
});

describe('rule 4: a carrier exception', () => {
  it('→ DELIVERY_EXCEPTION when an undelivered, unreturned shipment has EXCEPTION as its newest event', () => {
    expect(statusOf([paid, ...shippedFulfillment('FF-1', 'SF1', ['PICKED_UP', 'EXCEPTION'])])).toBe('DELIVERY_EXCEPTION');
  });

  it('not once the newest event moved on', () => {
    expect(statusOf([paid, ...shippedFulfillment('FF-1', 'SF1', ['EXCEPTION', 'IN_TRANSIT'])])).toBe('IN_TRANSIT');
  });

  it('not for a delivered shipment', () => {
    expect(statusOf([paid, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED', 'EXCEPTION'])])).toBe('DELIVERED');
  });
});

describe('rule 5: a returned shipment', () => {
  it('→ RETURNED_TO_SENDER, even with the return leg delivered', () => {
    const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['PICKED_UP', 'RETURNED_TO_SENDER', 'IN_TRANSIT', 'DELIVERED'])];
    expect(statusOf(events)).toBe('RETURNED_TO_SENDER');
    expect(mustView(events).delivered_at).toBeNull();
  });

  it('→ RETURNED_TO_SENDER even with EXCEPTION newest (a returned shipment has no open exception)', () => {
    const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['RETURNED_TO_SENDER', 'EXCEPTION'])];
    expect(statusOf(events)).toBe('RETURNED_TO_SENDER');
  });
});

describe('rule 6: every fulfillment cancelled', () => {
  it('→ FULFILLMENT_CANCELLED', () => {
    const events = [
      paid,
      wms('RELEASED', T0, { event_id: '1' }),
      wms('CANCELLED', T0 + HOUR, { event_id: '2' }),
      wms('CANCELLED', T0 + HOUR, { event_id: '3', fulfillment_id: 'FF-2' }),
    ];
    expect(statusOf(events)).toBe('FULFILLMENT_CANCELLED');
  });

  it('a fulfillment whose newest event is not CANCELLED is active again', () => {
    const events = [paid, wms('CANCELLED', T0, { event_id: '1' }), wms('REROUTED', T0 + HOUR, { event_id: '2' })];
    expect(statusOf(events)).toBe('RELEASED');
  });
});

describe('rule 7: active fulfillments', () => {
  it('names the progress when all active fulfillments agree', () => {
    const ladder: Array<[CanonicalEvent[], string]> = [
      [[wms('ALLOCATED', T0, { event_id: '1' })], 'RELEASED'],
      [[wms('UNKNOWN', T0, { event_id: '1' })], 'RELEASED'],
      [[wms('PICK_STARTED', T0, { event_id: '1' })], 'PICKING'],
      [[wms('SHORT_PICKED', T0, { event_id: '1' })], 'PICKING'],
      [[wms('PACKED', T0, { event_id: '1' })], 'PACKED'],
      [shippedFulfillment('FF-1-1', 'SF1', ['LABEL_CREATED']), 'SHIPPED'],
      [shippedFulfillment('FF-1-1', 'SF1', ['ARRIVED_AT_HUB']), 'IN_TRANSIT'],
      [shippedFulfillment('FF-1-1', 'SF1', ['DELIVERY_ATTEMPTED']), 'OUT_FOR_DELIVERY'],
      [shippedFulfillment('FF-1-1', 'SF1', ['DELIVERED']), 'DELIVERED'],
    ];
    for (const [events, expected] of ladder) expect(statusOf([paid, ...events])).toBe(expected);
  });

  it('lets a TMS LABEL_CREATED raise a picked fulfillment to PACKED', () => {
    const events = [paid, wms('PICKED', T0, { event_id: '1', tracking_no: 'SF1' }), tms('LABEL_CREATED', T0 + 1, { event_id: 't' })];
    expect(statusOf(events)).toBe('PACKED');
  });

  it('ranks only rise: a DELIVERED that arrives before SHIPPED still counts', () => {
    const delivered = tms('DELIVERED', T0 + DAY, { event_id: 't', tracking_no: 'SF1' });
    const shipped = wms('SHIPPED', T0 + 2 * DAY, { event_id: 'w', tracking_no: 'SF1' });
    expect(statusOf([paid, delivered, shipped])).toBe('DELIVERED');
    expect(statusOf([paid, shipped, delivered])).toBe('DELIVERED');
  });

  it('→ PARTIALLY_SHIPPED when progress differs and the highest is SHIPPED or beyond', () => {
    const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['IN_TRANSIT']), wms('PACKED', T0, { event_id: 'p', fulfillment_id: 'FF-2' })];
    expect(statusOf(events)).toBe('PARTIALLY_SHIPPED');
  });

  it('→ PARTIALLY_DELIVERED when one active fulfillment is DELIVERED and another is not', () => {
    const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED']), ...shippedFulfillment('FF-2', 'SF2', ['IN_TRANSIT'])];
    expect(statusOf(events)).toBe('PARTIALLY_DELIVERED');
    expect(mustView(events).delivered_at).toBeNull();
  });

  it('names the lowest progress when they differ below SHIPPED', () => {
    const events = [paid, wms('PACKED', T0, { event_id: '1' }), wms('RELEASED', T0, { event_id: '2', fulfillment_id: 'FF-2' })];
    expect(statusOf(events)).toBe('RELEASED');
  });

  it('ignores cancelled fulfillments', () => {
    const events = [
      paid,
      ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED']),
      wms('RELEASED', T0, { event_id: 'r2', fulfillment_id: 'FF-2' }),
      wms('CANCELLED', T0 + HOUR, { event_id: 'c2', fulfillment_id: 'FF-2' }),
    ];
    expect(statusOf(events)).toBe('DELIVERED');
  });

  it("a returned shipment's DELIVERED does not make its fulfillment DELIVERED", () => {
    const events = [paid, ...shippedFulfillment('FF-1', 'SF1', ['PICKED_UP', 'RETURNED_TO_SENDER', 'DELIVERED'])];
    expect(mustView(events).delivered_at).toBeNull();
    expect(mustView(events).on_time).toBeNull();
  });

  it('counts a shipment for the fulfillment its events name in fulfillment_ref', () => {
    const events = [
      paid,
      wms('PACKED', T0, { event_id: 'p1', fulfillment_id: 'FF-1' }),
      wms('PACKED', T0, { event_id: 'p2', fulfillment_id: 'FF-2' }),
      tms('DELIVERED', T0 + DAY, { event_id: 't1', tracking_no: 'SF1', fulfillment_ref: 'FF-1' }),
      tms('OUT_FOR_DELIVERY', T0 + DAY, { event_id: 't2', tracking_no: 'SF2', fulfillment_ref: 'FF-2' }),
    ];
    expect(statusOf(events)).toBe('PARTIALLY_DELIVERED');
  });

  it('does not count a shipment that belongs to no fulfillment', () => {
    const events = [paid, wms('PACKED', T0, { event_id: 'p1' }), tms('DELIVERED', T0 + DAY, { event_id: 't1', tracking_no: 'OTHER' })];
    expect(statusOf(events)).toBe('PACKED');
    expect(mustView(events).delivered_at).toBeNull();
  });
});

describe('rule 8: no fulfillment', () => {
  it('→ PAID when the newest row has paid_at, CREATED when unpaid, null without the CRM row', () => {
    expect(statusOf([paid])).toBe('PAID');
    expect(statusOf([crmOrder()])).toBe('CREATED');
    expect(statusOf([crmCase({ case_id: 'AS-1', status: 'CLOSED' }, { lsn: 1 })])).toBeNull();
  });

  it('applies when only shipments, not fulfillments, are known', () => {
    expect(statusOf([paid, tms('IN_TRANSIT', T0, { event_id: 't' })])).toBe('PAID');
  });
});

describe('delivered_at and on_time', () => {
  it('is the latest delivered_at over the shipments of the active fulfillments once all are DELIVERED', () => {
    const events = [
      paid,
      ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED'], T0 + HOUR),
      ...shippedFulfillment('FF-2', 'SF2', ['DELIVERED'], T0 + 5 * HOUR),
    ];
    const view = mustView(events);
    expect(view.delivered_at).toBe(iso(T0 + 6 * HOUR));
    expect(view.status).toBe('DELIVERED');
  });

  it('ignores shipments of cancelled fulfillments', () => {
    const events = [
      paid,
      ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED'], T0 + HOUR),
      ...shippedFulfillment('FF-2', 'SF2', ['DELIVERED'], T0 + 5 * HOUR),
      wms('CANCELLED', T0 + DAY, { event_id: 'c2', fulfillment_id: 'FF-2' }),
    ];
    expect(mustView(events).delivered_at).toBe(iso(T0 + 2 * HOUR));
  });

  it('is null without active fulfillments even when a shipment was delivered', () => {
    expect(mustView([paid, tms('DELIVERED', T0, { event_id: 't' })]).delivered_at).toBeNull();
  });

  it('on_time compares delivered_at with promised_delivery_at, inclusive', () => {
    const promised = T0 + 2 * HOUR;
    const order = crmOrder({ status: 'PAID', paid_at: T0, promised_delivery_at: promised });
    const at = (deliveredAt: number) => mustView([order, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED'], deliveredAt - HOUR)]).on_time;
    expect(at(promised)).toBe(true);
    expect(at(promised + 1)).toBe(false);
    expect(mustView([order]).on_time).toBeNull();
    const noPromise = crmOrder({ promised_delivery_at: null });
    expect(mustView([noPromise, ...shippedFulfillment('FF-1', 'SF1', ['DELIVERED'])]).on_time).toBeNull();
  });
});
