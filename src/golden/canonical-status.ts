import type { CaseImage } from '../normalize/canonical-event.js';
import { compareCodePoints } from './code-point-order.js';
import { DELIVERED_RANK, PROGRESS_NAMES, SHIPPED_RANK } from './progress-rank.js';

/** What the status rules read, already derived from the order state. */
export interface StatusInputs {
  /** The after-sales cases that are not deleted. */
  cases: readonly CaseImage[];
  /** Null while the order's CRM row is unknown (a partial view). */
  crmStatus: string | null;
  paid: boolean;
  shippedAt: number | null;
  /** A shipment neither delivered nor returned has EXCEPTION as its newest event. */
  openShipmentException: boolean;
  anyShipmentReturned: boolean;
  fulfillmentCount: number;
  /** Progress rank of each active (not cancelled) fulfillment. */
  activeProgress: readonly number[];
}

const CLOSED_CASE_STATUSES: ReadonlySet<string> = new Set(['REJECTED', 'CLOSED']);

/**
 * The canonical status: the first of the contract's eight rules that applies. Derived from the
 * current state every time, so it never depends on which event came last.
 */
export function canonicalStatus(input: StatusInputs): string | null {
  const openCase = latestOpenCase(input.cases);
  if (openCase !== null) return openCaseStatus(openCase);
  if (input.cases.some((c) => c.status === 'CLOSED' && c.refund_amount !== null)) return 'REFUNDED';
  if (input.crmStatus === 'CANCELLED' && input.shippedAt === null) return 'CANCELLED';
  if (input.openShipmentException) return 'DELIVERY_EXCEPTION';
  if (input.anyShipmentReturned) return 'RETURNED_TO_SENDER';
  if (input.fulfillmentCount > 0 && input.activeProgress.length === 0) return 'FULFILLMENT_CANCELLED';
  if (input.activeProgress.length > 0) return fulfillmentStatus(input.activeProgress);
  if (input.crmStatus === null) return null;
  return input.paid ? 'PAID' : 'CREATED';
}

function latestOpenCase(cases: readonly CaseImage[]): CaseImage | null {
  let best: CaseImage | null = null;
  for (const c of cases) {
    if (CLOSED_CASE_STATUSES.has(c.status)) continue;
    if (
      best === null ||
      c.created_at > best.created_at ||
      (c.created_at === best.created_at && compareCodePoints(c.case_id, best.case_id) > 0)
    ) {
      best = c;
    }
  }
  return best;
}

function openCaseStatus(c: CaseImage): string {
  if (c.case_type === 'EXCHANGE') return c.status === 'REPLACEMENT_SHIPPED' ? 'EXCHANGE_SHIPPED' : 'EXCHANGE_REQUESTED';
  if (c.status === 'REFUNDED') return 'REFUNDED';
  if (c.status === 'ITEM_RECEIVED') return 'RETURN_RECEIVED';
  return 'RETURN_REQUESTED';
}

function fulfillmentStatus(progress: readonly number[]): string {
  let lowest = Infinity;
  let highest = -Infinity;
  for (const p of progress) {
    if (p < lowest) lowest = p;
    if (p > highest) highest = p;
  }
  if (lowest !== highest && highest >= SHIPPED_RANK) {
    return highest === DELIVERED_RANK ? 'PARTIALLY_DELIVERED' : 'PARTIALLY_SHIPPED';
  }
  return PROGRESS_NAMES[lowest] ?? 'RELEASED';
}
