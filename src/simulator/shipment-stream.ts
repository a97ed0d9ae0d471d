import { trackingEventId } from './identifiers.js';
import type { PlannedSourceEvent } from './planned-event.js';
import { TOPICS, WRITER_SCHEMAS } from './replay-line.js';
import type { Rng } from './seeded-random.js';

/**
 * What the carrier knows about the parcel's order. `labelOnly`: the label was booked through the
 * WMS integration and names the order, later scans only the tracking number.
 */
export type RefMode = 'order' | 'fulfillment' | 'both' | 'none' | 'labelOnly';

/** Which ETA a scan carries: the first estimate, a revision, or none. */
export type EtaRole = 'first' | 'revised' | null;

export interface ScanDetails {
  location: string;
  eta?: EtaRole;
  exceptionCode?: string;
  signedBy?: string;
}

interface ScanDraft extends ScanDetails {
  at: number;
  code: string;
}

export interface ShipmentSetup {
  trackingNo: string;
  carrier: string;
  orderId: string;
  fulfillmentId: string;
  refMode: RefMode;
  rng: Rng;
}

/** ETA values per role, decided once the order's promise is known. */
export interface EtaValues {
  first: number | null;
  revised: number | null;
}

/**
 * The TMS events of one tracking number. Scans are drafted first and built later, because ETAs
 * depend on the delivery promise, which a story settles only once it knows how the parcel fares.
 */
export class ShipmentStream {
  lastAt = Number.NEGATIVE_INFINITY;
  private readonly drafts: ScanDraft[] = [];

  constructor(readonly setup: ShipmentSetup) {}

  get trackingNo(): string {
    return this.setup.trackingNo;
  }

  get carrier(): string {
    return this.setup.carrier;
  }

  /** Drafts a scan at `at` (moved to 1 ms after the previous one if needed); returns its time. */
  scan(at: number, code: string, details: ScanDetails): number {
    const occurredAt = Math.max(at, this.lastAt + 1);
    this.lastAt = occurredAt;
    this.drafts.push({ ...details, at: occurredAt, code });
    return occurredAt;
  }

  timeOf(code: string): number | undefined {
    return this.drafts.find((draft) => draft.code === code)?.at;
  }

  build(etas: EtaValues): PlannedSourceEvent[] {
    const { trackingNo, carrier, orderId, fulfillmentId, refMode, rng } = this.setup;
    return this.drafts.map((draft) => {
      const namesOrder = refMode === 'order' || refMode === 'both' || (refMode === 'labelOnly' && draft.code === 'LABEL_CREATED');
      const namesFulfillment = refMode === 'fulfillment' || refMode === 'both';
      const eta = draft.eta === 'first' ? etas.first : draft.eta === 'revised' ? etas.revised : null;
      return {
        system: 'tms',
        at: draft.at,
        line: {
          topic: TOPICS.tms,
          key: trackingNo,
          schema: WRITER_SCHEMAS.tms,
          value: {
            event_id: trackingEventId(rng),
            tracking_no: trackingNo,
            carrier_code: carrier,
            fulfillment_ref: namesFulfillment ? fulfillmentId : null,
            order_ref: namesOrder ? orderId : null,
            event_code: draft.code,
            occurred_at: draft.at,
            location: draft.location,
            eta,
            exception_code: draft.exceptionCode ?? null,
            signed_by: draft.signedBy ?? null,
          },
        },
      };
    });
  }
}
