import type { ClickHouseClient } from '@clickhouse/client';
import type { ViewSource, GoldenView } from '../../golden/index.js';
import { getGoldenView } from '../../sinks/index.js';
import { orderIdCandidates } from './search-terms.js';

/**
 * The golden view of an order: from this worker's memory when it holds the order (newest, no
 * round trip), else the newest stored version in ClickHouse — orders other workers own, and closed
 * orders asleep there (`ORDERLAKE_DORMANT_AFTER_MS`). Null when unknown or deleted; a
 * delete held in memory is final and is not looked up again.
 */
export async function lookupOrder(
  deps: { store: ViewSource; client: ClickHouseClient; database: string },
  orderId: string,
): Promise<GoldenView | null> {
  const held = deps.store.get(orderId);
  if (held !== null) return held;
  if (deps.store.isDeleted(orderId)) return null;
  return (await getGoldenView({ client: deps.client, database: deps.database, orderId })) as GoldenView | null;
}

/**
 * The order an id typed by a person names: the first of {@link orderIdCandidates} (exact, trimmed,
 * upper case) that is a live order, so `so-000725 ` finds `SO-000725` while an order whose id
 * really is lower case is still found first by its own id. Null when none is.
 */
export async function findOrder(
  deps: { store: ViewSource; client: ClickHouseClient; database: string },
  typedId: string,
): Promise<GoldenView | null> {
  for (const orderId of orderIdCandidates(typedId)) {
    const view = await lookupOrder(deps, orderId);
    if (view !== null) return view;
  }
  return null;
}
