import type { ClickHouseClient } from '@clickhouse/client';
import type { GoldenStore, GoldenView } from '../../golden/index.js';
import { getGoldenView } from '../../sinks/index.js';

/**
 * The golden view of an order: from this worker's memory when it holds the order (newest, no
 * round trip), else the newest stored version in ClickHouse — orders other workers own, and closed
 * orders asleep there (`ORDERLAKE_DORMANT_AFTER_MS`). Null when unknown or deleted; a
 * delete held in memory is final and is not looked up again.
 */
export async function lookupOrder(
  deps: { store: GoldenStore; client: ClickHouseClient; database: string },
  orderId: string,
): Promise<GoldenView | null> {
  const held = deps.store.get(orderId);
  if (held !== null) return held;
  if (deps.store.isDeleted(orderId)) return null;
  return (await getGoldenView({ client: deps.client, database: deps.database, orderId })) as GoldenView | null;
}
