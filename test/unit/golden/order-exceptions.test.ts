import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../../src/normalize/canonical-event.js';
import { crmOrder, DAY, HOUR, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { mustView } from '../../helpers/golden-derive.js';

const exceptionsOf = (events: CanonicalEvent[]) => mustView(events).exceptions;
const promised = T0 + 2 * DAY;
const paid = (extra = {}) =>
  crmOrder({ status: 'PAID', paid_at: T0, row_version: 2, updated_at: T0 + MINUTE, promised_delivery_at: promised, ...extra });

describe('ADDRESS_CHANGED_AFTER_PACKING', () => {
  const moved = (updated_at: number) =>
    crmOrder({ status: 'PAID', paid_at: T0, row_version: 3, updated_at, ship_line: '新地址', promised_delivery_at: promised });

  it('is raised by an address change later than packed_at', () => {
    expect(exceptionsOf([paid(), moved(T0 + 2 * HOUR), wms('PACKED', T0 + HOUR, { event_id: 'p' })])).toEqual([
      'ADDRESS_CHANGED_AFTER_PACKING',
    ]);
  });

  it('uses TMS LABEL_CREATED as packing too', () => {
    expect(exceptionsOf([paid(), moved(T0 + 2 * HOUR), tms('LABEL_CREATED', T0 + HOUR, { event_id: 'l' })])).toContain(
      'ADDRESS_CHANGED_AFTER_PACKING',
    );
  });

  it('is not raised by a change before packing, by a later image without a change, or without packing', () => {
    expect(exceptionsOf([paid(), moved(T0 + HOUR), wms('PACKED', T0 + 2 * HOUR, { event_id: 'p' })])).toEqual([]);
    const laterSameAddress = crmOrder({
      status: 'PAID', paid_at: T0, row_version: 4, updated_at: T0 + 5 * HOUR, ship_line: '新地址', promised_delivery_at: promised,
    });
    expect(
      exceptionsOf([paid(), moved(T0 + HOUR), laterSameAddress, wms('PACKED', T0 + 2 * HOUR, { event_id: 'p' })]),
    ).toEqual([]);
    expect(exceptionsOf([paid(), moved(T0 + 2 * HOUR)])).toEqual([]);
  });
});

describe('cancellation against shipment', () => {
  const cancelledAt = (at: number) =>
    crmOrder({ status: 'CANCELLED', row_version: 3, updated_at: at, promised_delivery_at: promised, paid_at: T0 });
  const shipped = (at: number) => wms('SHIPPED', at, { event_id: 's' });

  it('CANCELLED_AFTER_SHIPMENT when cancelled_at is later than shipped_at', () => {
    expect(exceptionsOf([paid(), cancelledAt(T0 + 2 * HOUR), shipped(T0 + HOUR)])).toEqual(['CANCELLED_AFTER_SHIPMENT']);
  });

  it('SHIPPED_AFTER_CANCELLATION when shipped_at is not earlier than cancelled_at, equality included', () => {
    expect(exceptionsOf([paid(), cancelledAt(T0 + HOUR), shipped(T0 + 2 * HOUR)])).toEqual(['SHIPPED_AFTER_CANCELLATION']);
    expect(exceptionsOf([paid(), cancelledAt(T0 + HOUR), shipped(T0 + HOUR)])).toEqual(['SHIPPED_AFTER_CANCELLATION']);
  });

  it('neither without a shipment or when the newest row is not CANCELLED', () => {
    expect(exceptionsOf([paid(), cancelledAt(T0 + HOUR)])).toEqual([]);
    const reopened = paid({ row_version: 4, updated_at: T0 + 3 * HOUR });
    expect(exceptionsOf([paid(), cancelledAt(T0 + HOUR), reopened, shipped(T0 + 2 * HOUR)])).toEqual([]);
  });
});

describe('SHORT_PICK', () => {
  it('is raised by any WMS SHORT_PICKED event', () => {
    const events = [paid(), wms('SHORT_PICKED', T0, { event_id: '1' }), wms('PACKED', T0 + HOUR, { event_id: '2' })];
    expect(exceptionsOf(events)).toEqual(['SHORT_PICK']);
  });
});

describe('FULFILLMENT_CANCELLED', () => {
  const cancelledFf = [wms('RELEASED', T0, { event_id: '1' }), wms('CANCELLED', T0 + HOUR, { event_id: '2' })];

  it('is raised while the order is not cancelled in the CRM, partial views included', () => {
    expect(exceptionsOf([paid(), ...cancelledFf])).toEqual(['FULFILLMENT_CANCELLED']);
    expect(exceptionsOf(cancelledFf)).toEqual(['FULFILLMENT_CANCELLED']);
  });

  it('is not raised when the CRM row is CANCELLED', () => {
    const cancelled = crmOrder({ status: 'CANCELLED', row_version: 3, updated_at: T0 + 2 * HOUR, promised_delivery_at: promised });
    expect(exceptionsOf([cancelled, ...cancelledFf])).toEqual([]);
  });
});

describe('LATE_DELIVERY', () => {
  it('is raised when on_time is false', () => {
    const events = [
      paid(),
      wms('SHIPPED', T0 + HOUR, { event_id: 's', tracking_no: 'SF1' }),
      tms('DELIVERED', promised + 1, { event_id: 'd' }),
    ];
    expect(mustView(events).on_time).toBe(false);
    expect(exceptionsOf(events)).toEqual(['LATE_DELIVERY']);
  });
});

describe('DELIVERY_OVERDUE', () => {
  it('is raised when the newest event of any source is later than the promise and nothing is delivered', () => {
    expect(exceptionsOf([paid(), wms('PACKED', promised + 1, { event_id: 'p' })])).toEqual(['DELIVERY_OVERDUE']);
    expect(exceptionsOf([paid(), wms('PACKED', T0, { event_id: 'p', tracking_no: 'SF1' }), tms('IN_TRANSIT', promised + 1, { event_id: 't' })]))
      .toEqual(['DELIVERY_OVERDUE']);
    const updatedLateCommittedEarly = crmOrder(
      { status: 'PAID', paid_at: T0, row_version: 2, updated_at: promised + 1, promised_delivery_at: promised },
      { ts_ms: T0 },
    );
    expect(exceptionsOf([updatedLateCommittedEarly, wms('PACKED', T0, { event_id: 'p' })])).toEqual([]);
    expect(exceptionsOf([crmOrder({ promised_delivery_at: promised }, { ts_ms: promised + 1 })])).toEqual(['DELIVERY_OVERDUE']);
  });

  it('is not raised at exactly the promise, once delivered, without a promise, or for a CANCELLED status', () => {
    expect(exceptionsOf([paid(), wms('PACKED', promised, { event_id: 'p' })])).toEqual([]);
    const delivered = [
      paid(),
      wms('SHIPPED', T0 + HOUR, { event_id: 's', tracking_no: 'SF1' }),
      tms('DELIVERED', T0 + DAY, { event_id: 'd' }),
      tms('EXCEPTION', promised + DAY, { event_id: 'late' }),
    ];
    expect(exceptionsOf(delivered)).toEqual([]);
    expect(exceptionsOf([paid({ promised_delivery_at: null }), wms('PACKED', promised + 1, { event_id: 'p' })])).toEqual([]);
    const cancelled = crmOrder({ status: 'CANCELLED', row_version: 3, updated_at: T0 + HOUR, promised_delivery_at: promised });
    expect(mustView([cancelled, wms('PACKED', promised + 1, { event_id: 'p' })]).status).toBe('CANCELLED');
    expect(exceptionsOf([cancelled, wms('PACKED', promised + 1, { event_id: 'p' })])).toEqual([]);
  });
});

describe('ETA_BEYOND_PROMISE', () => {
  it('is raised by an open shipment whose eta is later than the promise', () => {
    expect(exceptionsOf([paid(), tms('IN_TRANSIT', T0, { event_id: 't', eta: promised + 1 })])).toEqual(['ETA_BEYOND_PROMISE']);
  });

  it('uses the newest eta, and ignores delivered or returned shipments', () => {
    const revised = [tms('IN_TRANSIT', T0, { event_id: 't1', eta: promised + 1 }), tms('ARRIVED_AT_HUB', T0 + 1, { event_id: 't2', eta: promised })];
    expect(exceptionsOf([paid(), ...revised])).toEqual([]);
    expect(exceptionsOf([paid(), tms('PICKED_UP', T0, { event_id: 't', eta: promised + 1 }), tms('DELIVERED', T0 + 1, { event_id: 'd' })])).toEqual([]);
    expect(
      exceptionsOf([paid(), tms('PICKED_UP', T0, { event_id: 't', eta: promised + 1 }), tms('RETURNED_TO_SENDER', T0 + 1, { event_id: 'r' })]),
    ).toEqual([]);
  });
});

describe('DELIVERY_EXCEPTION', () => {
  it('is raised by an open shipment whose newest event is EXCEPTION', () => {
    expect(exceptionsOf([paid(), tms('EXCEPTION', T0, { event_id: 'x', exception_code: 'LOST' })])).toEqual(['DELIVERY_EXCEPTION']);
    expect(exceptionsOf([paid(), tms('EXCEPTION', T0, { event_id: 'x' }), tms('IN_TRANSIT', T0 + 1, { event_id: 'y' })])).toEqual([]);
  });
});

it('lists several codes sorted', () => {
  const events = [
    paid(),
    wms('SHORT_PICKED', T0, { event_id: '1' }),
    wms('CANCELLED', T0 + HOUR, { event_id: '2' }),
    wms('PACKED', T0, { event_id: '3', fulfillment_id: 'FF-2', tracking_no: 'SF1' }),
    tms('EXCEPTION', promised + HOUR, { event_id: 'x', eta: promised + DAY }),
  ];
  expect(exceptionsOf(events)).toEqual([
    'DELIVERY_EXCEPTION',
    'DELIVERY_OVERDUE',
    'ETA_BEYOND_PROMISE',
    'FULFILLMENT_CANCELLED',
    'SHORT_PICK',
  ]);
});
