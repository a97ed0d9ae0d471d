import type { ReplayLine } from '../../../src/simulator/index.js';
import { pureMerge } from '../../helpers/pipeline-run.js';

/**
 * What the pure merge makes of a scenario: how many routed events reach the merge (applied,
 * duplicates and events after a delete together — independent of arrival order) and how many
 * orders end with a view. A Kafka run is complete when its merge has seen as many.
 */
export async function mergeOracle(lines: readonly ReplayLine[]): Promise<{ items: number; orders: number }> {
  const { routedItems, views } = await pureMerge(lines);
  return { items: routedItems, orders: views.size };
}
