import type { CrmOp } from '../normalize/canonical-event.js';
import type { ReplayLine } from './replay-line.js';
import type { ScenarioKind } from './scenario-options.js';

export type CrmTable = 'orders' | 'order_lines' | 'after_sales';

/**
 * One row change of a CRM transaction, before the connector has given it its position: `lsn`,
 * `txId` and the envelope's processing time are assigned when the transaction commits in the
 * simulated database, in commit order across all orders.
 */
export interface CrmChange {
  table: CrmTable;
  key: Record<string, unknown>;
  op: CrmOp;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Milliseconds after the transaction's start at which this row was written (`source.ts_ms`). */
  tsOffset: number;
}

/** A CRM transaction at its commit time. */
export interface PlannedCrmTransaction {
  system: 'crm';
  at: number;
  changes: CrmChange[];
}

/** A WMS or TMS event, complete except for the Kafka timestamp. */
export interface PlannedSourceEvent {
  system: 'wms' | 'tms';
  at: number;
  line: ReplayLine;
}

export type PlannedEvent = PlannedCrmTransaction | PlannedSourceEvent;

/** An order's whole story: every source event it will cause, in no particular order. */
export interface OrderPlan {
  orderId: string;
  orderNo: number;
  kind: ScenarioKind;
  events: PlannedEvent[];
}
