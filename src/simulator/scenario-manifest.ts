import { formatOrderId } from './identifiers.js';
import { resolveScenarioOptions, SCENARIO_DEFAULTS, type ResolvedScenarioOptions, type ScenarioKind, type ScenarioOptions } from './scenario-options.js';
import { createRng } from './seeded-random.js';

/** The kind of story an order tells: drawn from the mix by the order's own random stream. */
export function kindOfOrder(options: ResolvedScenarioOptions, orderId: string): ScenarioKind {
  return createRng(options.seed, 'kind', orderId).weighted(options.mix);
}

/** One simulated order and the story it tells. */
export interface ScenarioOrder {
  order_id: string;
  kind: ScenarioKind;
}

/**
 * Which orders a scenario holds and what happens to each, without generating any events: lets a
 * test pick, say, the deleted orders of a generated scenario and check they answer 404.
 */
export function scenarioManifest(options: ScenarioOptions): ScenarioOrder[] {
  const resolved = resolveScenarioOptions(options, SCENARIO_DEFAULTS);
  const count = resolved.orders ?? 0;
  const orders: ScenarioOrder[] = [];
  for (let index = 0; index < count; index++) {
    const orderId = formatOrderId(resolved.orderIdPrefix, resolved.firstOrderNo + index);
    orders.push({ order_id: orderId, kind: kindOfOrder(resolved, orderId) });
  }
  return orders;
}
