import type { ClickHouseClient } from '@clickhouse/client';
import { qualifiedTable } from './identifier.js';
import { queryJson } from './query-json.js';
import { TABLES } from './table-names.js';

/**
 * What one routed WMS or TMS event in the lake says about its order: the tracking number and,
 * for WMS, the fulfillment that belong to it. Empty strings where the event names none.
 */
export interface ShipmentLinkFact {
  kind: 'wms' | 'tms';
  orderId: string;
  trackingNo: string;
  fulfillmentId: string;
}

/**
 * The distinct link facts in the lake (tracking number / fulfillment → order), from every WMS and
 * TMS event that was routed to an order: what rebuilds the shipment linker after a restart.
 */
export async function loadShipmentLinkFacts(opts: { client: ClickHouseClient; database: string }): Promise<ShipmentLinkFact[]> {
  const rows = await queryJson<{ kind: ShipmentLinkFact['kind']; order_id: string; tn: string; ff: string }>(
    opts.client,
    `SELECT DISTINCT kind, order_id,
            JSONExtractString(payload, 'tracking_no') AS tn,
            if(kind = 'wms', JSONExtractString(payload, 'fulfillment_id'), '') AS ff
     FROM ${qualifiedTable(opts.database, TABLES.lake)}
     WHERE kind IN ('wms', 'tms') AND order_id != ''`,
    {},
  );
  return rows.map((r) => ({ kind: r.kind, orderId: r.order_id, trackingNo: r.tn, fulfillmentId: r.ff }));
}
