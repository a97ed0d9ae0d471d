import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeProvenance } from '../../../src/api/orders/provenance.js';
import type { StoredEvent } from '../../../src/sinks/index.js';
import { summarize, toTimeline } from '../../../src/api/orders/timeline.js';
import { createGoldenStore, type GoldenView } from '../../../src/golden/index.js';
import { eventTime, eventUid, type CanonicalEvent } from '../../../src/normalize/index.js';
import { HOUR, MINUTE, T0, crmCase, crmLine, crmOrder, iso, tms, wms } from '../../helpers/golden-events.js';

/** Stores events as the lake would: each with its own position (offset = index in the list). */
function stored(events: CanonicalEvent[]): StoredEvent[] {
  return events.map((event, i) => ({
    event_uid: eventUid(event),
    source: event.source,
    kind: event.kind,
    topic: `topic.${event.kind}`,
    partition: i % 3,
    offset: String(i),
    line: i + 1,
    event_time: eventTime(event),
    ingested_at: eventTime(event) + 1500,
    event,
  }));
}

function viewOf(events: CanonicalEvent[]): GoldenView {
  const store = createGoldenStore({ now: () => T0 });
  store.applyBatch(events.map((event) => ({ orderId: 'SO-1', event })));
  return store.get('SO-1')!;
}

const events: CanonicalEvent[] = [
  crmOrder({ row_version: 1, updated_at: T0 }, { lsn: 100 }),
  crmOrder({ row_version: 3, status: 'PAID', paid_at: T0 + 2 * MINUTE, updated_at: T0 + 2 * MINUTE }, { lsn: 120 }),
  crmOrder({ row_version: 2, updated_at: T0 + MINUTE }, { lsn: 130 }),
  crmLine({ line_no: 1, sku: 'A' }, { lsn: 101 }),
  crmLine({ line_no: 1, sku: 'B' }, { lsn: 150, op: 'u' }),
  crmLine({ line_no: 2, sku: 'C' }, { lsn: 102 }),
  crmCase({ case_id: 'CASE-1', status: 'REQUESTED' }, { lsn: 200 }),
  crmCase({ case_id: 'CASE-1', status: 'APPROVED' }, { lsn: 210, op: 'u' }),
  wms('RELEASED', T0 + HOUR, { event_id: 'w1' }),
  wms('SHIPPED', T0 + 3 * HOUR, { event_id: 'w3', tracking_no: 'SF1', carrier: 'SF' }),
  wms('PACKED', T0 + 2 * HOUR, { event_id: 'w2' }),
  tms('IN_TRANSIT', T0 + 5 * HOUR, { event_id: 't2', eta: T0 + 48 * HOUR }),
  tms('PICKED_UP', T0 + 4 * HOUR, { event_id: 't1', eta: T0 + 50 * HOUR }),
  tms('OUT_FOR_DELIVERY', T0 + 6 * HOUR, { event_id: 't3' }),
  tms('DELIVERED', T0 + 7 * HOUR, { event_id: 't4' }),
  tms('DELIVERED', T0 + 8 * HOUR, { event_id: 't5' }),
];

describe('computeProvenance', () => {
  const view = viewOf(events);
  const provenance = computeProvenance(view, stored(events));
  const at = (i: number) => ({ offset: String(i), event_uid: eventUid(events[i]!) });

  it('credits header, customer, ship_to and payment to the newest CRM image by row_version, not lsn', () => {
    expect(provenance.header).toMatchObject({ ...at(1), topic: 'topic.crm_order', partition: 1, line: 2, event_time: iso(T0 + 2 * MINUTE) });
    expect(provenance.customer).toEqual(provenance.header);
    expect(provenance.ship_to).toEqual(provenance.header);
    expect(provenance.payment).toEqual(provenance.header);
  });

  it('credits each line and case to its image with the highest lsn', () => {
    expect(provenance.lines).toEqual([
      { line_no: 1, set_by: expect.objectContaining(at(4)) },
      { line_no: 2, set_by: expect.objectContaining(at(5)) },
    ]);
    expect(provenance.after_sales).toEqual([{ case_id: 'CASE-1', set_by: expect.objectContaining(at(7)) }]);
  });

  it('credits fulfillments to their newest WMS event and tracking to the newest event carrying it', () => {
    expect(provenance.fulfillments).toEqual([
      {
        fulfillment_id: 'FF-1-1',
        set_by: expect.objectContaining(at(9)),
        tracking_set_by: expect.objectContaining(at(9)),
        carrier_set_by: expect.objectContaining(at(9)),
      },
    ]);
  });

  it('credits shipments: newest event, newest ETA, earliest DELIVERED', () => {
    expect(provenance.shipments).toEqual([
      {
        tracking_no: 'SF1',
        set_by: expect.objectContaining(at(15)),
        status_set_by: expect.objectContaining(at(15)),
        eta_set_by: expect.objectContaining(at(11)),
        delivered_by: expect.objectContaining(at(14)),
      },
    ]);
    expect(view.shipments[0]!.delivered_at).toBe(iso(T0 + 7 * HOUR));
  });

  it('credits a returned shipment\'s status to its first RETURNED_TO_SENDER and reports no delivery', () => {
    const returned = [...events, tms('RETURNED_TO_SENDER', T0 + 9 * HOUR, { event_id: 't6' }), tms('EXCEPTION', T0 + 10 * HOUR, { event_id: 't7' })];
    const p = computeProvenance(viewOf(returned), stored(returned));
    expect(p.shipments[0]).toMatchObject({ set_by: { offset: '17' }, status_set_by: { offset: '16' }, delivered_by: null });
  });

  it('is null for the CRM groups of a partial view and leaves out deleted lines', () => {
    const partial = [crmLine({ line_no: 1 }, { lsn: 10 }), crmLine({ line_no: 2 }, { lsn: 11 }), crmLine({ line_no: 2 }, { lsn: 12, op: 'd' })];
    const p = computeProvenance(viewOf(partial), stored(partial));
    expect(p.header).toBeNull();
    expect(p.payment).toBeNull();
    expect(p.lines.map((l) => l.line_no)).toEqual([1]);
  });

  it('does not depend on the order the lake returns events in (property)', () => {
    const base = stored(events);
    fc.assert(
      fc.property(fc.shuffledSubarray(base, { minLength: base.length, maxLength: base.length }), (shuffled) => {
        expect(computeProvenance(view, shuffled)).toEqual(provenance);
      }),
    );
  });
});

describe('timeline', () => {
  it('keeps the lake order and reports arrival time and lag', () => {
    const entries = toTimeline(stored(events.slice(0, 2)));
    expect(entries[0]).toEqual({
      event_time: iso(T0),
      source: 'crm',
      kind: 'crm_order',
      type: 'c',
      summary: 'order row v1: CREATED',
      topic: 'topic.crm_order',
      partition: 0,
      offset: '0',
      line: 1,
      ingested_at: iso(T0 + 1500),
      lag_ms: 1500,
      event_uid: eventUid(events[0]!),
      details: expect.objectContaining({ status: 'CREATED' }),
    });
    expect(entries[1]!.type).toBe('u');
  });

  it('gives each entry the facts the order card reads: the ship-to of an order image, the item of a line, a scan', () => {
    const entries = toTimeline(stored(events));
    for (const [entry, e] of entries.map((x, i) => [x, stored(events)[i]!.event] as const)) {
      if (e.kind === 'crm_order' && e.image !== null) {
        expect(entry.details).toEqual({
          row_version: e.row_version ?? e.image.row_version,
          status: e.image.status,
          ship_to: { name: e.image.ship_name, phone: e.image.ship_phone, province: e.image.ship_province, city: e.image.ship_city, district: e.image.ship_district, line: e.image.ship_line, postcode: e.image.ship_postcode },
        });
      }
      if (e.kind === 'crm_line' && e.image !== null) expect(entry.details).toEqual({ line_no: e.line_no, sku: e.image.sku, name: e.image.name, quantity: e.image.quantity });
      if (e.kind === 'tms') expect(entry.details).toMatchObject({ tracking_no: e.tracking_no, event_code: e.event_code, location: e.location, exception_code: e.exception_code });
    }
  });

  it('summarizes every kind of event in one line', () => {
    expect(summarize(crmLine({ line_no: 2, sku: 'SKU-9', quantity: 3 }, { lsn: 1 }))).toEqual({ type: 'c', summary: 'line 2: SKU-9 × 3' });
    expect(summarize(crmLine({ line_no: 2 }, { lsn: 1, op: 'd' }))).toEqual({ type: 'd', summary: 'line 2 (deleted)' });
    expect(summarize(crmCase({ case_id: 'K1', case_type: 'EXCHANGE', status: 'APPROVED' }, { lsn: 1, op: 'u' }))).toEqual({ type: 'u', summary: 'case K1: EXCHANGE APPROVED' });
    expect(summarize(wms('SHIPPED', T0, { event_id: 'e', tracking_no: 'SF9', carrier: 'SF' }))).toEqual({ type: 'SHIPPED', summary: 'SHIPPED FF-1-1 at WH-1 (SF SF9)' });
    expect(summarize(tms('EXCEPTION', T0, { event_id: 'e', location: '深圳', exception_code: 'ADDRESS_UNKNOWN' }))).toEqual({
      type: 'EXCEPTION',
      summary: 'EXCEPTION SF SF1 at 深圳 [ADDRESS_UNKNOWN]',
    });
  });
});
