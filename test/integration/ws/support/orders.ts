import type { CanonicalEvent } from '../../../../src/normalize/canonical-event.js';
import { crmOrder, crmOrderDelete, MINUTE, T0, wms } from '../../../helpers/golden-events.js';

let seq = 0;
const unique = () => ++seq;

/** A new CRM order row. */
export function newOrder(orderId: string, overrides: { customer_id?: string; channel?: string; paid?: boolean } = {}): CanonicalEvent {
  return crmOrder(
    {
      order_id: orderId,
      customer_id: overrides.customer_id ?? 'C-1',
      channel: overrides.channel ?? 'WEB',
      status: overrides.paid ? 'PAID' : 'CREATED',
      paid_at: overrides.paid ? T0 + MINUTE : null,
      row_version: 1,
    },
    { lsn: unique() },
  );
}

/** A later image of the order row (row_version > 1), e.g. paid. */
export function orderUpdate(orderId: string, rowVersion: number, overrides: { paid?: boolean; buyer_note?: string; customer_id?: string } = {}): CanonicalEvent {
  return crmOrder(
    {
      order_id: orderId,
      customer_id: overrides.customer_id ?? 'C-1',
      status: overrides.paid ? 'PAID' : 'CREATED',
      paid_at: overrides.paid ? T0 + MINUTE : null,
      buyer_note: overrides.buyer_note ?? null,
      row_version: rowVersion,
      updated_at: T0 + rowVersion * MINUTE,
    },
    { lsn: 1_000_000 + unique() },
  );
}

/**
 * A WMS event of the order's one fulfillment with a fresh event id: every such event changes the
 * view (at least `sources.wms`), so it raises the version by one.
 */
export function wmsEvent(orderId: string, eventType = 'RELEASED', at = T0 + 2 * MINUTE + unique()): CanonicalEvent {
  return wms(eventType, at, { event_id: `${orderId}-w${unique()}`, order_id: orderId, fulfillment_id: `FF-${orderId}` });
}

export function orderDelete(orderId: string): CanonicalEvent {
  return crmOrderDelete(orderId, 2_000_000 + unique(), T0 + 5 * MINUTE);
}
