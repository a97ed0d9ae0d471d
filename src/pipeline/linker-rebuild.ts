import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { fulfillmentKey, trackingKey, type ShipmentLinker } from '../golden/index.js';
import type { TmsEvent } from '../normalize/index.js';
import { loadPendingShipmentEvents, loadShipmentLinkFacts } from '../sinks/index.js';
import type { EmbeddedPipeline } from './embedded-pipeline.js';

/**
 * Rebuilds the embedded linker after a restart from ClickHouse alone: the link facts (tracking
 * number / fulfillment → order) come from the WMS and TMS events already in the lake, and the
 * tracking events still waiting come back from `pending_shipment_events` — those whose link is
 * known by now move on to the merge.
 */
export async function rebuildLinker(deps: {
  client: ClickHouseClient;
  database: string;
  linker: ShipmentLinker;
  pipeline: EmbeddedPipeline;
  logger: Logger;
}): Promise<{ facts: number; waiting: number; resolved: number }> {
  const { client, database, linker, pipeline, logger } = deps;
  const started = performance.now();
  const links = await loadShipmentLinkFacts({ client, database });
  let facts = 0;
  for (const l of links) {
    if (l.trackingNo !== '') {
      linker.accept({ type: 'fact', key: trackingKey(l.trackingNo), orderId: l.orderId });
      facts++;
    }
    if (l.fulfillmentId !== '') {
      linker.accept({ type: 'fact', key: fulfillmentKey(l.fulfillmentId), orderId: l.orderId });
      facts++;
    }
  }
  const pending = await loadPendingShipmentEvents({ client, database });
  const before = pipeline.pendingCount + pending.length;
  await pipeline.restorePending(pending.map((p) => ({ event: p.event as TmsEvent, position: p.position, waitingSince: p.waitingSince })));
  const result = { facts, waiting: pipeline.pendingCount, resolved: before - pipeline.pendingCount };
  logger.info({ ...result, ms: Math.round(performance.now() - started) }, 'shipment links rebuilt from ClickHouse');
  return result;
}
