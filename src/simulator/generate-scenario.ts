import { OrderlakeError } from '../errors.js';
import { reorderLines } from './delivery-order.js';
import type { ReplayLine } from './replay-line.js';
import { resolveScenarioOptions, SCENARIO_DEFAULTS, type ScenarioOptions } from './scenario-options.js';
import { createRng } from './seeded-random.js';
import { SimulationEngine } from './simulation-engine.js';

/**
 * A complete, deterministic scenario as replay-file lines: every order's story from creation to
 * its end (or to `endTime`), with redeliveries and the requested out-of-order delivery. Pure: the
 * same options give the same lines; no clock is read.
 */
export function generateScenario(options: ScenarioOptions): ReplayLine[] {
  const resolved = resolveScenarioOptions(options, SCENARIO_DEFAULTS);
  if (resolved.orders === undefined && resolved.endTime === undefined) {
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', 'invalid simulator options: an endless scenario needs endTime (or use createTrafficGenerator)');
  }
  const engine = new SimulationEngine(resolved);
  const lines: ReplayLine[] = [];
  for (let emitted = engine.next(); emitted !== undefined; emitted = engine.next()) {
    if (resolved.endTime !== undefined && emitted.at > resolved.endTime) break;
    lines.push(emitted.line);
  }
  return reorderLines(lines, resolved.shuffle, resolved.shuffleWindow, createRng(resolved.seed, 'delivery'));
}
