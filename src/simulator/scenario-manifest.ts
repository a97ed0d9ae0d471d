import { formatOrderId } from './identifiers.js';
import {
  resolveScenarioOptions,
  SCENARIO_DEFAULTS,
  STAYS_STUCK_SHARE,
  STUCK_KINDS,
  type ResolvedScenarioOptions,
  type ScenarioKind,
  type ScenarioOptions,
} from './scenario-options.js';
import { createRng } from './seeded-random.js';

const STUCK = new Set<ScenarioKind>(STUCK_KINDS);

/** The kind of story an order tells: drawn from the mix by the order's own random stream. */
export function kindOfOrder(options: ResolvedScenarioOptions, orderId: string): ScenarioKind {
  return createRng(options.seed, 'kind', orderId).weighted(options.mix);
}

/**
 * Whether a stuck-order story never gets its missing event (STAYS_STUCK_SHARE of them), drawn from
 * a stream of its own so that the manifest can tell without telling the story.
 */
export function staysStuck(options: ResolvedScenarioOptions, orderId: string, kind: ScenarioKind): boolean {
  return STUCK.has(kind) && createRng(options.seed, 'stuck', orderId).chance(STAYS_STUCK_SHARE);
}

/** One simulated order and the story it tells. */
export interface ScenarioOrder {
  order_id: string;
  kind: ScenarioKind;
  /** Stuck-order kinds only: true when the missing event never comes (the case stays open). */
  stays_stuck?: boolean;
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
    const kind = kindOfOrder(resolved, orderId);
    orders.push(STUCK.has(kind) ? { order_id: orderId, kind, stays_stuck: staysStuck(resolved, orderId, kind) } : { order_id: orderId, kind });
  }
  return orders;
}
