import type { CanonicalEvent } from '../../src/normalize/canonical-event.js';
import { crmCase, crmLine, crmOrder, crmOrderDelete, DAY, HOUR, MINUTE, T0, tms, wms } from './golden-events.js';

/** A small deterministic PRNG (mulberry32), so that a scenario is a pure function of its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function int(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

const WMS_TYPES = ['RELEASED', 'ALLOCATED', 'PICK_STARTED', 'PICKED', 'SHORT_PICKED', 'PACKED', 'SHIPPED', 'CANCELLED', 'REROUTED', 'UNKNOWN'];
const TMS_CODES = ['LABEL_CREATED', 'PICKED_UP', 'IN_TRANSIT', 'ARRIVED_AT_HUB', 'OUT_FOR_DELIVERY', 'DELIVERY_ATTEMPTED', 'DELIVERED', 'EXCEPTION', 'RETURNED_TO_SENDER'];
const CASE_STATUSES = ['REQUESTED', 'APPROVED', 'REJECTED', 'ITEM_RECEIVED', 'REFUNDED', 'REPLACEMENT_SHIPPED', 'CLOSED'];

/**
 * Consistent canonical events of `orders` orders, as the reference systems would emit them, with
 * the hard cases on purpose: timestamps drawn from few values (ties broken by event_id), partial
 * orders without a CRM row, order/line/case deletes, late older images, TMS events that name
 * only their tracking number or only their fulfillment, returns, exceptions and revised ETAs.
 * A tracking number belongs to one order only.
 */
export function generateScenario(seed: number, orders = 3): CanonicalEvent[] {
  const r = rng(seed);
  const events: CanonicalEvent[] = [];
  let lsn = 1000;
  let id = 0;
  const eventId = () => `${pick(r, ['a', 'b', 'c'])}-${(id++).toString(36)}`;
  const at = (span: number) => T0 + int(r, 0, span) * 30 * MINUTE;

  for (let o = 1; o <= orders; o++) {
    const orderId = `SO-${o}`;
    const promised = T0 + int(r, 1, 8) * 2 * HOUR;

    if (r() < 0.85) {
      const images = int(r, 1, 4);
      for (let v = 1; v <= images; v++) {
        const status = pick(r, ['CREATED', 'PAID', 'PAID', 'CANCELLED', 'CANCELLED', 'CLOSED']);
        events.push(
          crmOrder(
            {
              order_id: orderId,
              row_version: r() < 0.15 && v > 1 ? v - 1 : v,
              status,
              paid_at: status === 'CREATED' ? null : T0 + MINUTE,
              ship_line: pick(r, ['A路1号', 'B路2号']),
              ship_district: pick(r, [null, '南山区']),
              promised_delivery_at: r() < 0.9 ? promised : null,
              updated_at: at(16),
            },
            { lsn: (lsn += int(r, 1, 5)), ts_ms: at(16) },
          ),
        );
      }
      if (r() < 0.08) events.push(crmOrderDelete(orderId, (lsn += 3), at(16)));
    }

    for (let line = 1; line <= int(r, 0, 3); line++) {
      for (let k = 0; k < int(r, 1, 2); k++) {
        events.push(crmLine({ line_no: line, quantity: int(r, 1, 3) }, { lsn: (lsn += 1), ts_ms: at(16), order_id: orderId }));
      }
      if (r() < 0.3) events.push(crmLine({ line_no: line }, { lsn: (lsn += 1), op: 'd', ts_ms: at(16), order_id: orderId }));
      if (r() < 0.15) events.push(crmLine({ line_no: line, sku: 'AGAIN' }, { lsn: (lsn += 1), ts_ms: at(16), order_id: orderId }));
    }

    for (let c = 1; c <= (r() < 0.35 ? int(r, 1, 2) : 0); c++) {
      const caseId = `AS-${o}-${c}`;
      const caseType = pick(r, ['RETURN', 'EXCHANGE', 'REFUND_ONLY']);
      const createdAt = at(8);
      for (let k = 0; k < int(r, 1, 3); k++) {
        events.push(
          crmCase(
            {
              case_id: caseId,
              case_type: caseType,
              status: pick(r, CASE_STATUSES),
              refund_amount: r() < 0.5 ? '12.50' : null,
              created_at: createdAt,
              updated_at: at(16),
            },
            { lsn: (lsn += 1), ts_ms: at(16), order_id: orderId },
          ),
        );
      }
      if (r() < 0.2) events.push(crmCase({ case_id: caseId }, { lsn: (lsn += 1), op: 'd', ts_ms: at(16), order_id: orderId }));
    }

    for (let f = 1; f <= int(r, 0, 3); f++) {
      const ff = `FF-${o}-${f}`;
      const tn = `T${o}${f}-${pick(r, ['SF', 'JD'])}`;
      const carrier = tn.slice(-2);
      let carriesTracking = false;
      for (let k = 0; k < int(r, 1, 5); k++) {
        const type = pick(r, WMS_TYPES);
        const withTracking = (type === 'SHIPPED' || type === 'PACKED' || type === 'REROUTED') && r() < 0.8;
        carriesTracking ||= withTracking;
        events.push(
          wms(type, at(12), {
            event_id: eventId(),
            order_id: orderId,
            fulfillment_id: ff,
            warehouse_id: pick(r, ['WH-1', 'WH-2']),
            store_id: pick(r, [null, 'ST-1']),
            tracking_no: withTracking ? tn : null,
            carrier: withTracking || r() < 0.2 ? carrier : null,
          }),
        );
      }
      if (r() < 0.75) {
        const names = carriesTracking ? pick(r, ['none', 'order', 'ff']) : pick(r, ['order', 'ff']);
        for (let k = 0; k < int(r, 1, 6); k++) {
          const naming = k === 0 ? names : pick(r, ['none', 'none', 'order', 'ff']);
          events.push(
            tms(r() < 0.3 ? 'DELIVERED' : pick(r, TMS_CODES), at(20), {
              event_id: eventId(),
              tracking_no: tn,
              carrier,
              order_ref: naming === 'order' ? orderId : null,
              fulfillment_ref: naming === 'ff' ? ff : null,
              eta: r() < 0.5 ? T0 + int(r, 1, 8) * 2 * HOUR : null,
              location: pick(r, [null, '上海', '杭州']),
              exception_code: r() < 0.2 ? 'WEATHER' : null,
            }),
          );
        }
      }
    }

    if (r() < 0.2) {
      const tn = `X${o}`;
      for (let k = 0; k < int(r, 1, 3); k++) {
        events.push(
          tms(pick(r, TMS_CODES), T0 + int(r, 0, 4) * DAY, {
            event_id: eventId(),
            tracking_no: tn,
            order_ref: k === 0 || r() < 0.3 ? orderId : null,
          }),
        );
      }
    }
  }
  return events;
}

/** A permutation of `events` with some events repeated, as connector restarts re-deliver them. */
export function shuffleWithDuplicates<T>(events: readonly T[], seed: number, duplicateRate = 0.15): T[] {
  const r = rng(seed);
  const out = [...events];
  for (const e of events) if (r() < duplicateRate) out.push(e);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
