import path from 'node:path';
import { createGoldenStore, createLocalRouter, createShipmentLinker } from '../../../src/golden/index.js';
import { createNormalizer, loadPipelines } from '../../../src/normalize/index.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { REPO_ROOT } from './bench-result.js';

/**
 * What the pure merge makes of a scenario: how many routed events reach the merge (applied,
 * duplicates and events after a delete together — independent of arrival order) and how many
 * orders end with a view. A Kafka run is complete when its merge has seen as many.
 */
export async function mergeOracle(lines: readonly ReplayLine[]): Promise<{ items: number; orders: number }> {
  const normalizer = createNormalizer(await loadPipelines(path.join(REPO_ROOT, 'pipelines')));
  const store = createGoldenStore({ now: () => 0 });
  const route = createLocalRouter(createShipmentLinker({ maxPending: 1e9, onOverflow: () => {} }));
  const offsets = new Map<string, number>();
  let items = 0;
  for (const line of lines) {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    const event = normalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(offset), timestamp: 0 });
    if (event === null) continue;
    const routed = route(event, 0);
    items += routed.length;
    store.applyBatch(routed);
  }
  return { items, orders: store.liveCount };
}
