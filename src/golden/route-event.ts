import type { CanonicalEvent, TmsEvent } from '../normalize/canonical-event.js';

/**
 * Input of the shipment linker, keyed so that it can be partitioned by `key`: `tn:<tracking_no>`
 * or `ff:<fulfillment_id>`. A fact says which order the key belongs to; a TMS input waits for it.
 */
export type LinkInput =
  | { type: 'fact'; key: string; orderId: string }
  | { type: 'tms'; key: string; event: TmsEvent; receivedAt: number };

/** An event on its way to the order it belongs to. */
export interface RoutedEvent {
  orderId: string;
  event: CanonicalEvent;
}

/** Link key of a tracking number. */
export function trackingKey(trackingNo: string): string {
  return `tn:${trackingNo}`;
}

/** Link key of a fulfillment. */
export function fulfillmentKey(fulfillmentId: string): string {
  return `ff:${fulfillmentId}`;
}

/**
 * Pure routing of one canonical event: what goes straight to an order, and what goes to the
 * linker. CRM and WMS events name their order; WMS events also tell the linker which order their
 * fulfillment and tracking number belong to; a TMS event goes direct only when it names its order,
 * else it waits in the linker under its tracking number (and its fulfillment, when it names one).
 */
export function routeEvent(event: CanonicalEvent, receivedAt: number): { direct: RoutedEvent[]; link: LinkInput[] } {
  switch (event.kind) {
    case 'crm_order':
    case 'crm_line':
    case 'crm_case':
      return { direct: [{ orderId: event.order_id, event }], link: [] };
    case 'wms': {
      const orderId = event.order_id;
      const link: LinkInput[] = [{ type: 'fact', key: fulfillmentKey(event.fulfillment_id), orderId }];
      if (event.tracking_no !== null) link.push({ type: 'fact', key: trackingKey(event.tracking_no), orderId });
      return { direct: [{ orderId, event }], link };
    }
    case 'tms': {
      if (event.order_ref !== null) {
        const orderId = event.order_ref;
        return { direct: [{ orderId, event }], link: [{ type: 'fact', key: trackingKey(event.tracking_no), orderId }] };
      }
      const link: LinkInput[] = [{ type: 'tms', key: trackingKey(event.tracking_no), event, receivedAt }];
      if (event.fulfillment_ref !== null) {
        link.push({ type: 'tms', key: fulfillmentKey(event.fulfillment_ref), event, receivedAt });
      }
      return { direct: [], link };
    }
  }
}
