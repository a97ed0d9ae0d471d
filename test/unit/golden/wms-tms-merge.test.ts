import { describe, expect, it } from 'vitest';
import { DAY, HOUR, iso, MINUTE, T0, tms, wms } from '../../helpers/golden-events.js';
import { mustView } from '../../helpers/golden-derive.js';

describe('fulfillments', () => {
  it('takes status, warehouse and store from the newest event and sorts by id', () => {
    const events = [
      wms('PACKED', T0 + 2 * HOUR, { event_id: 'b', fulfillment_id: 'FF-2', warehouse_id: 'WH-2', store_id: 'ST-9' }),
      wms('RELEASED', T0 + HOUR, { event_id: 'a', fulfillment_id: 'FF-2', warehouse_id: 'WH-1' }),
      wms('ALLOCATED', T0, { event_id: 'c', fulfillment_id: 'FF-10' }),
    ];
    for (const order of [events, [...events].reverse()]) {
      expect(mustView(order).fulfillments).toEqual([
        { fulfillment_id: 'FF-10', warehouse_id: 'WH-1', store_id: null, status: 'ALLOCATED', tracking_no: null, carrier: null },
        { fulfillment_id: 'FF-2', warehouse_id: 'WH-2', store_id: 'ST-9', status: 'PACKED', tracking_no: null, carrier: null },
      ]);
    }
  });

  it('breaks an occurred_at tie by event_id', () => {
    const a = wms('PICKED', T0, { event_id: 'e-a' });
    const b = wms('PACKED', T0, { event_id: 'e-b' });
    expect(mustView([b, a]).fulfillments[0]?.status).toBe('PACKED');
    expect(mustView([a, b]).fulfillments[0]?.status).toBe('PACKED');
  });

  it('takes tracking_no and carrier each from the newest event where it is set', () => {
    const events = [
      wms('PACKED', T0, { event_id: '1', tracking_no: 'SF1', carrier: 'SF' }),
      wms('SHIPPED', T0 + HOUR, { event_id: '2', tracking_no: null, carrier: 'JD' }),
      wms('REROUTED', T0 + 2 * HOUR, { event_id: '3', tracking_no: null, carrier: null }),
    ];
    const f = mustView([...events].reverse()).fulfillments[0];
    expect(f).toMatchObject({ status: 'REROUTED', tracking_no: 'SF1', carrier: 'JD' });
  });

  it('keeps the raw WMS event type as the status', () => {
    expect(mustView([wms('SHORT_PICKED', T0, { event_id: '1' })]).fulfillments[0]?.status).toBe('SHORT_PICKED');
  });
});

describe('shipments', () => {
  it('takes carrier, location, exception_code and status from the newest event', () => {
    const events = [
      tms('EXCEPTION', T0 + 2 * HOUR, { event_id: 'x2', location: '杭州', exception_code: 'WEATHER', carrier: 'JD' }),
      tms('IN_TRANSIT', T0 + HOUR, { event_id: 'x1', location: '上海' }),
    ];
    expect(mustView(events).shipments).toEqual([
      {
        tracking_no: 'SF1',
        carrier: 'JD',
        status: 'EXCEPTION',
        location: '杭州',
        eta: null,
        delivered_at: null,
        exception_code: 'WEATHER',
      },
    ]);
  });

  it('takes eta from the newest event that has one', () => {
    const events = [
      tms('LABEL_CREATED', T0, { event_id: '1', eta: T0 + 2 * DAY }),
      tms('IN_TRANSIT', T0 + HOUR, { event_id: '2', eta: T0 + 3 * DAY }),
      tms('ARRIVED_AT_HUB', T0 + 2 * HOUR, { event_id: '3', eta: null }),
    ];
    expect(mustView([...events].reverse()).shipments[0]?.eta).toBe(iso(T0 + 3 * DAY));
  });

  it('uses the earliest DELIVERED as delivered_at', () => {
    const events = [
      tms('DELIVERED', T0 + 5 * HOUR, { event_id: 'd2' }),
      tms('DELIVERED', T0 + 4 * HOUR, { event_id: 'd1' }),
    ];
    expect(mustView(events).shipments[0]).toMatchObject({ status: 'DELIVERED', delivered_at: iso(T0 + 4 * HOUR) });
  });

  it('is RETURNED_TO_SENDER once it has that event, with no delivered_at, even when the return leg is newer', () => {
    const events = [
      tms('PICKED_UP', T0, { event_id: '1' }),
      tms('RETURNED_TO_SENDER', T0 + HOUR, { event_id: '2' }),
      tms('IN_TRANSIT', T0 + 2 * HOUR, { event_id: '3', location: '退回' }),
      tms('DELIVERED', T0 + 3 * HOUR, { event_id: '4', location: '仓库' }),
    ];
    const s = mustView(events).shipments[0];
    expect(s).toMatchObject({ status: 'RETURNED_TO_SENDER', delivered_at: null, location: '仓库' });
  });

  it('lists shipments by tracking number', () => {
    const view = mustView([
      tms('IN_TRANSIT', T0, { event_id: '1', tracking_no: 'ZTO9' }),
      tms('IN_TRANSIT', T0, { event_id: '2', tracking_no: 'JD10' }),
    ]);
    expect(view.shipments.map((s) => s.tracking_no)).toEqual(['JD10', 'ZTO9']);
  });
});

describe('milestones', () => {
  it('takes released_at from the earliest WMS event of any type', () => {
    const view = mustView([
      wms('PACKED', T0 + HOUR, { event_id: '1' }),
      wms('CANCELLED', T0 + MINUTE, { event_id: '2', fulfillment_id: 'FF-2' }),
    ]);
    expect(view.released_at).toBe(iso(T0 + MINUTE));
  });

  it('takes packed_at from the earliest WMS PACKED or TMS LABEL_CREATED', () => {
    expect(
      mustView([wms('PACKED', T0 + 2 * HOUR, { event_id: '1' }), tms('LABEL_CREATED', T0 + HOUR, { event_id: '2' })]).packed_at,
    ).toBe(iso(T0 + HOUR));
    expect(
      mustView([wms('PACKED', T0 + HOUR, { event_id: '1' }), tms('LABEL_CREATED', T0 + 2 * HOUR, { event_id: '2' })]).packed_at,
    ).toBe(iso(T0 + HOUR));
    expect(mustView([wms('PICKED', T0, { event_id: '1' })]).packed_at).toBeNull();
  });

  it('takes shipped_at from the earliest WMS SHIPPED or TMS movement, DELIVERED included', () => {
    expect(
      mustView([wms('SHIPPED', T0 + 3 * HOUR, { event_id: '1' }), tms('DELIVERED', T0 + 2 * HOUR, { event_id: '2' })]).shipped_at,
    ).toBe(iso(T0 + 2 * HOUR));
    for (const code of ['PICKED_UP', 'IN_TRANSIT', 'ARRIVED_AT_HUB', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPTED']) {
      expect(mustView([tms(code, T0, { event_id: code })]).shipped_at).toBe(iso(T0));
    }
    for (const code of ['LABEL_CREATED', 'EXCEPTION', 'RETURNED_TO_SENDER']) {
      expect(mustView([tms(code, T0, { event_id: code })]).shipped_at).toBeNull();
    }
  });
});

describe('sources.wms and sources.tms', () => {
  it('count distinct event ids and take the newest occurred_at', () => {
    const w1 = wms('RELEASED', T0 + 2 * HOUR, { event_id: 'w1' });
    const w2 = wms('ALLOCATED', T0 + HOUR, { event_id: 'w2' });
    const t1 = tms('LABEL_CREATED', T0 + 3 * HOUR, { event_id: 't1' });
    const view = mustView([w1, w2, w1, t1, t1]);
    expect(view.sources).toEqual({
      crm: null,
      wms: { last_event_at: iso(T0 + 2 * HOUR), events: 2 },
      tms: { last_event_at: iso(T0 + 3 * HOUR), events: 1 },
    });
  });
});
