import { compareCodePoints, type GoldenView } from '../../golden/index.js';
import type { CaseImage, CrmCaseEvent, CrmLineEvent, CrmOrderEvent, LineImage, TmsEvent, WmsEvent } from '../../normalize/index.js';
import type { StoredEvent } from '../../sinks/index.js';

/** Where one source event came from: enough to find it again in Kafka or in a replay file. */
export interface EventRef {
  topic: string;
  partition: number;
  offset: string;
  /** Replay file line, or null for an event that came from Kafka or the simulator. */
  line: number | null;
  /** The event's own time (CRM `ts_ms`, WMS/TMS `occurred_at`), ISO-8601 UTC. */
  event_time: string;
  event_uid: string;
}

/**
 * Which source event set each field group of a view, by the contract's "newest" rules: the CRM
 * order row by `row_version` then `lsn`, lines and cases by `lsn`, WMS and TMS by `occurred_at`
 * then `event_id`.
 */
export interface Provenance {
  /** order_id, channel, currency, gift_order, buyer_note, total_amount, created_at, promised_delivery_at: the newest CRM order image. */
  header: EventRef | null;
  customer: EventRef | null;
  ship_to: EventRef | null;
  payment: EventRef | null;
  lines: Array<{ line_no: number; set_by: EventRef }>;
  after_sales: Array<{ case_id: string; set_by: EventRef }>;
  /** `set_by`: newest event (status, warehouse, store); `tracking_set_by` / `carrier_set_by`: newest event carrying one. */
  fulfillments: Array<{ fulfillment_id: string; set_by: EventRef; tracking_set_by: EventRef | null; carrier_set_by: EventRef | null }>;
  /**
   * `set_by`: newest event (carrier, location, exception code); `status_set_by`: the first
   * `RETURNED_TO_SENDER` of a returned shipment, else the newest; `eta_set_by`: newest event with
   * an ETA; `delivered_by`: earliest `DELIVERED` (null when returned).
   */
  shipments: Array<{
    tracking_no: string;
    set_by: EventRef;
    status_set_by: EventRef;
    eta_set_by: EventRef | null;
    delivered_by: EventRef | null;
  }>;
}

type Stored<E> = StoredEvent & { event: E };

function ref(stored: StoredEvent): EventRef {
  return {
    topic: stored.topic,
    partition: stored.partition,
    offset: stored.offset,
    line: stored.line > 0 ? stored.line : null,
    event_time: new Date(stored.event_time).toISOString(),
    event_uid: stored.event_uid,
  };
}

/** The greatest element by `later(a, b)` (true when a is newer than b), or null for an empty list. */
function newest<T>(items: readonly T[], later: (a: T, b: T) => boolean): T | null {
  let best: T | null = null;
  for (const item of items) if (best === null || later(item, best)) best = item;
  return best;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

const laterImage = (a: Stored<CrmOrderEvent>, b: Stored<CrmOrderEvent>): boolean => {
  const va = a.event.row_version ?? a.event.image!.row_version;
  const vb = b.event.row_version ?? b.event.image!.row_version;
  return va > vb || (va === vb && a.event.lsn > b.event.lsn);
};
const laterLsn = (a: Stored<{ lsn: number }>, b: Stored<{ lsn: number }>): boolean => a.event.lsn > b.event.lsn;
const laterOccurrence = (a: Stored<WmsEvent | TmsEvent>, b: Stored<WmsEvent | TmsEvent>): boolean =>
  a.event.occurred_at > b.event.occurred_at ||
  (a.event.occurred_at === b.event.occurred_at && compareCodePoints(a.event.event_id, b.event.event_id) > 0);
const earlierOccurrence = (a: Stored<WmsEvent | TmsEvent>, b: Stored<WmsEvent | TmsEvent>): boolean => laterOccurrence(b, a);

const refOrNull = (stored: StoredEvent | null): EventRef | null => (stored === null ? null : ref(stored));

/**
 * Computes the provenance of `view` from the order's stored events. Pure: the same events give the
 * same answer in any order. Entries follow the view's own lists, so each line, case, fulfillment and
 * shipment shown has exactly one entry.
 */
export function computeProvenance(view: GoldenView, events: readonly StoredEvent[]): Provenance {
  const of = <K extends StoredEvent['kind'], E>(kind: K) => events.filter((e) => e.kind === kind) as Array<Stored<E>>;
  const orderImages = of<'crm_order', CrmOrderEvent>('crm_order').filter((e) => e.event.op !== 'd' && e.event.image !== null);
  const header = refOrNull(newest(orderImages, laterImage));

  const lineImages = groupBy(
    of<'crm_line', CrmLineEvent>('crm_line').filter((e) => e.event.image !== null) as Array<Stored<CrmLineEvent & { image: LineImage }>>,
    (e) => e.event.line_no,
  );
  const caseImages = groupBy(
    of<'crm_case', CrmCaseEvent>('crm_case').filter((e) => e.event.image !== null) as Array<Stored<CrmCaseEvent & { image: CaseImage }>>,
    (e) => e.event.case_id,
  );
  const wms = groupBy(of<'wms', WmsEvent>('wms'), (e) => e.event.fulfillment_id);
  const tms = groupBy(of<'tms', TmsEvent>('tms'), (e) => e.event.tracking_no);

  return {
    header,
    customer: header,
    ship_to: header,
    payment: header,
    lines: view.lines.flatMap((line) => {
      const found = newest(lineImages.get(line.line_no) ?? [], laterLsn);
      return found === null ? [] : [{ line_no: line.line_no, set_by: ref(found) }];
    }),
    after_sales: view.after_sales.flatMap((c) => {
      const found = newest(caseImages.get(c.case_id) ?? [], laterLsn);
      return found === null ? [] : [{ case_id: c.case_id, set_by: ref(found) }];
    }),
    fulfillments: view.fulfillments.flatMap((f) => {
      const group = wms.get(f.fulfillment_id) ?? [];
      const latest = newest(group, laterOccurrence);
      if (latest === null) return [];
      return [
        {
          fulfillment_id: f.fulfillment_id,
          set_by: ref(latest),
          tracking_set_by: refOrNull(newest(group.filter((e) => e.event.tracking_no !== null), laterOccurrence)),
          carrier_set_by: refOrNull(newest(group.filter((e) => e.event.carrier !== null), laterOccurrence)),
        },
      ];
    }),
    shipments: view.shipments.flatMap((s) => {
      const group = tms.get(s.tracking_no) ?? [];
      const latest = newest(group, laterOccurrence);
      if (latest === null) return [];
      const returnedBy = newest(group.filter((e) => e.event.event_code === 'RETURNED_TO_SENDER'), earlierOccurrence);
      return [
        {
          tracking_no: s.tracking_no,
          set_by: ref(latest),
          status_set_by: ref(returnedBy ?? latest),
          eta_set_by: refOrNull(newest(group.filter((e) => e.event.eta !== null), laterOccurrence)),
          delivered_by: returnedBy !== null ? null : refOrNull(newest(group.filter((e) => e.event.event_code === 'DELIVERED'), earlierOccurrence)),
        },
      ];
    }),
  };
}
