import { describe, expect, it } from 'vitest';
import {
  createGoldenStore,
  createLocalRouter,
  createShipmentLinker,
  routeEvent,
  type LinkInput,
} from '../../../src/golden/index.js';
import type { CanonicalEvent } from '../../../src/normalize/canonical-event.js';
import { crmLine, crmOrder, HOUR, T0, tms, wms } from '../../helpers/golden-events.js';

const unlinked = (id: string, extra = {}) => tms('IN_TRANSIT', T0 + HOUR, { event_id: id, order_ref: null, tracking_no: 'SF9', ...extra });
const shippedWithSf9 = wms('SHIPPED', T0, { event_id: 'w1', tracking_no: 'SF9', fulfillment_id: 'FF-1-1' });

function linker(maxPending = 100) {
  const overflow: LinkInput[] = [];
  return { overflow, linker: createShipmentLinker({ maxPending, onOverflow: (input) => overflow.push(input) }) };
}

function replay(events: CanonicalEvent[]) {
  const { linker: l } = linker();
  const route = createLocalRouter(l);
  const store = createGoldenStore({ now: () => 0 });
  for (const event of events) store.applyBatch(route(event, 0));
  return { store, linker: l };
}

describe('routeEvent', () => {
  it('sends CRM events straight to their order', () => {
    const event = crmLine({ line_no: 1 }, { lsn: 1, order_id: 'SO-7' });
    expect(routeEvent(event, 0)).toEqual({ direct: [{ orderId: 'SO-7', event }], link: [] });
  });

  it('sends WMS events to their order and announces their fulfillment and tracking number', () => {
    expect(routeEvent(shippedWithSf9, 0)).toEqual({
      direct: [{ orderId: 'SO-1', event: shippedWithSf9 }],
      link: [
        { type: 'fact', key: 'ff:FF-1-1', orderId: 'SO-1' },
        { type: 'fact', key: 'tn:SF9', orderId: 'SO-1' },
      ],
    });
    const untracked = wms('PACKED', T0, { event_id: 'w2' });
    expect(routeEvent(untracked, 0).link).toEqual([{ type: 'fact', key: 'ff:FF-1-1', orderId: 'SO-1' }]);
  });

  it('sends a TMS event that names its order direct and announces its tracking number', () => {
    const event = tms('PICKED_UP', T0, { event_id: 't', order_ref: 'SO-3', tracking_no: 'JD1' });
    expect(routeEvent(event, 0)).toEqual({
      direct: [{ orderId: 'SO-3', event }],
      link: [{ type: 'fact', key: 'tn:JD1', orderId: 'SO-3' }],
    });
  });

  it('sends a TMS event without order_ref to the linker under its tracking number and fulfillment', () => {
    const event = unlinked('t', { fulfillment_ref: 'FF-1-1' });
    expect(routeEvent(event, 42)).toEqual({
      direct: [],
      link: [
        { type: 'tms', key: 'tn:SF9', event, receivedAt: 42 },
        { type: 'tms', key: 'ff:FF-1-1', event, receivedAt: 42 },
      ],
    });
  });
});

describe('linking shipments', () => {
  it('joins tracking events that arrive before the WMS event carrying their tracking number', () => {
    const { store, linker: l } = replay([crmOrder(), unlinked('t1'), unlinked('t2'), shippedWithSf9]);
    expect(store.get('SO-1')?.shipments.map((s) => s.tracking_no)).toEqual(['SF9']);
    expect(store.get('SO-1')?.sources.tms?.events).toBe(2);
    expect(l.pendingCount).toBe(0);
  });

  it('joins tracking events that arrive after it', () => {
    const { store } = replay([crmOrder(), shippedWithSf9, unlinked('t1'), unlinked('t2')]);
    expect(store.get('SO-1')?.sources.tms?.events).toBe(2);
  });

  it('joins siblings through one event that names the order', () => {
    const named = tms('LABEL_CREATED', T0, { event_id: 't0', tracking_no: 'SF9', order_ref: 'SO-1' });
    for (const events of [[unlinked('t1'), named], [named, unlinked('t1')]]) {
      const { store, linker: l } = replay(events);
      expect(store.get('SO-1')?.sources.tms?.events).toBe(2);
      expect(l.pendingCount).toBe(0);
    }
  });

  it('joins through fulfillment_ref, and then the siblings that name nothing', () => {
    const packed = wms('PACKED', T0, { event_id: 'w0', fulfillment_id: 'FF-1-1' });
    const viaFf = unlinked('t1', { fulfillment_ref: 'FF-1-1' });
    const bare = unlinked('t2');
    for (const events of [[viaFf, bare, packed], [packed, viaFf, bare], [bare, packed, viaFf]]) {
      const { store, linker: l } = replay(events);
      expect(store.get('SO-1')?.sources.tms?.events).toBe(2);
      expect(l.pendingCount).toBe(0);
    }
  });

  it('a shipment linked through fulfillment_ref counts for that fulfillment', () => {
    const packed = wms('PACKED', T0, { event_id: 'w0', fulfillment_id: 'FF-1-1' });
    const delivered = tms('DELIVERED', T0 + HOUR, { event_id: 't1', order_ref: null, tracking_no: 'SF9', fulfillment_ref: 'FF-1-1' });
    const { store } = replay([crmOrder({ status: 'PAID', paid_at: T0 }), delivered, packed]);
    expect(store.get('SO-1')?.status).toBe('DELIVERED');
  });

  it('leaves no copy waiting under a fulfillment no WMS event names once the tracking number resolved it', () => {
    const { store, linker: l } = replay([shippedWithSf9, unlinked('t1', { fulfillment_ref: 'FF-NEVER' })]);
    expect(store.get('SO-1')?.sources.tms?.events).toBe(1);
    expect(l.pendingCount).toBe(0);
    expect(l.orphans(Number.MAX_SAFE_INTEGER, 0)).toEqual([]);
  });

  it('keeps waiting shipments out of every order until their link arrives', () => {
    const { store, linker: l } = replay([crmOrder(), unlinked('t1')]);
    expect(store.get('SO-1')?.shipments).toEqual([]);
    expect(l.pendingCount).toBe(1);
  });
});

describe('ShipmentLinker', () => {
  it('treats a repeated fact as a no-op', () => {
    const { linker: l } = linker();
    expect(l.accept({ type: 'fact', key: 'tn:SF9', orderId: 'SO-1' })).toEqual({ resolved: [], facts: [] });
    expect(l.accept({ type: 'fact', key: 'tn:SF9', orderId: 'SO-1' })).toEqual({ resolved: [], facts: [] });
  });

  it('emits the tracking-number fact when an event resolves through its fulfillment', () => {
    const { linker: l } = linker();
    l.accept({ type: 'fact', key: 'ff:FF-1', orderId: 'SO-1' });
    const event = unlinked('t1', { fulfillment_ref: 'FF-1' });
    expect(l.accept({ type: 'tms', key: 'ff:FF-1', event, receivedAt: 0 })).toEqual({
      resolved: [{ orderId: 'SO-1', event }],
      facts: [{ type: 'fact', key: 'tn:SF9', orderId: 'SO-1' }],
    });
  });

  it('forwards an event once when it waits under two keys of the same linker', () => {
    const { linker: l } = linker();
    const event = unlinked('t1', { fulfillment_ref: 'FF-1' });
    l.accept({ type: 'tms', key: 'tn:SF9', event, receivedAt: 0 });
    l.accept({ type: 'tms', key: 'ff:FF-1', event, receivedAt: 0 });
    expect(l.pendingCount).toBe(2);
    const first = l.accept({ type: 'fact', key: 'ff:FF-1', orderId: 'SO-1' });
    expect(first.resolved).toEqual([{ orderId: 'SO-1', event }]);
    expect(l.pendingCount).toBe(0);
    expect(l.accept(first.facts[0]!)).toEqual({ resolved: [], facts: [] });
  });

  it('does not hold the same event twice under one key', () => {
    const { linker: l } = linker();
    const event = unlinked('t1');
    l.accept({ type: 'tms', key: 'tn:SF9', event, receivedAt: 0 });
    l.accept({ type: 'tms', key: 'tn:SF9', event, receivedAt: 5 });
    expect(l.pendingCount).toBe(1);
  });

  it('hands the oldest waiting input to onOverflow beyond maxPending', () => {
    const { linker: l, overflow } = linker(2);
    const inputs = ['a', 'b', 'c'].map((id, i): LinkInput => ({ type: 'tms', key: `tn:T${id}`, event: unlinked(id, { tracking_no: `T${id}` }), receivedAt: i }));
    for (const input of inputs) l.accept(input);
    expect(overflow).toEqual([inputs[0]]);
    expect(l.pendingCount).toBe(2);
    expect(l.accept({ type: 'fact', key: 'tn:Ta', orderId: 'SO-1' }).resolved).toEqual([]);
  });

  it('lists shipments that waited longer than the threshold as orphans', () => {
    const { linker: l } = linker();
    l.accept({ type: 'tms', key: 'tn:SF9', event: unlinked('t1'), receivedAt: 1000 });
    l.accept({ type: 'tms', key: 'tn:SF9', event: unlinked('t2'), receivedAt: 4000 });
    l.accept({ type: 'tms', key: 'tn:JD1', event: unlinked('t3', { tracking_no: 'JD1' }), receivedAt: 9000 });
    expect(l.orphans(10_000, 5000)).toEqual([{ trackingNo: 'SF9', waitingMs: 9000, events: 2 }]);
    expect(l.orphans(10_000, 500)).toEqual([
      { trackingNo: 'JD1', waitingMs: 1000, events: 1 },
      { trackingNo: 'SF9', waitingMs: 9000, events: 2 },
    ]);
    l.accept({ type: 'fact', key: 'tn:SF9', orderId: 'SO-1' });
    expect(l.orphans(10_000, 500).map((o) => o.trackingNo)).toEqual(['JD1']);
  });
});
