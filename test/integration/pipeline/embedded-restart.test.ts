import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { REPO_ROOT, expectedViews, generateScenario, stripVolatile } from '../../helpers/pipeline-run.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { expectGoldenTableEquals } from '../../helpers/golden-table.js';

/**
 * Embedded mode stopped half-way and started again on the same chDB directory: the golden state
 * comes back from the lake, the shipment links from the lake's WMS/TMS events, and the tracking
 * events that were still waiting for their order from `pending_shipment_events` — so the second
 * half completes exactly the views one uninterrupted run gives.
 */
describe('embedded mode restarted half-way', () => {
  it('restores golden state, links and waiting tracking events from ClickHouse', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, REPO_ROOT);
    const logger = pino({ level: 'silent' });
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-embedded-'));
    const lines = generateScenario({ seed: 4242, orders: 300, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.1, shuffle: 'full' });
    const expected = await expectedViews(lines);
    const half = Math.floor(lines.length / 2);
    const offsets = new Map<string, number>();

    const first = await createEmbeddedRuntime(config, logger, { dataPath, database: 'restart_it', recreate: true, rebuild: true });
    await first.pipeline.process(await encodeLinesFor(first.codec.encoder, lines.slice(0, half), offsets));
    const waitingAtStop = first.pipeline.pendingCount;
    await first.close();
    expect(waitingAtStop).toBeGreaterThan(0); // the scenario must exercise the waiting area

    const second = await createEmbeddedRuntime(config, logger, { dataPath, database: 'restart_it', rebuild: true });
    try {
      expect(second.pipeline.pendingCount).toBeLessThanOrEqual(waitingAtStop);
      await second.pipeline.process(await encodeLinesFor(second.codec.encoder, lines.slice(half), offsets));
      await second.storage.sink.flush();
      for (const [orderId, view] of expected) expect(stripVolatile(second.store.get(orderId)!), orderId).toEqual(view);
      await expectGoldenTableEquals(second.storage.reader, 'restart_it', expected);
    } finally {
      await second.close();
    }
  });

  it('puts quiet closed orders to sleep, wakes them for late events, and leaves them asleep across a restart', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DORMANT_AFTER_MS: '1' }, REPO_ROOT);
    const logger = pino({ level: 'silent' });
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-dormant-'));
    const lines = generateScenario({ seed: 77, orders: 300, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.1, shuffle: 'full' });
    const expected = await expectedViews(lines);
    const restartAt = Math.floor((lines.length * 2) / 3);
    const offsets = new Map<string, number>();

    const first = await createEmbeddedRuntime(config, logger, { dataPath, database: 'dormant_it', recreate: true, rebuild: true });
    let woken = 0;
    let mostAsleep = 0;
    const merge = first.merge.merge.bind(first.merge);
    first.merge.merge = async (items) => {
      const asleep = new Set(items.filter((i) => first.store.dormant(i.orderId)?.deleted === false).map((i) => i.orderId));
      const changes = await merge(items);
      for (const orderId of asleep) if (first.store.dormant(orderId) === undefined) woken++;
      return changes;
    };
    for (let start = 0; start < restartAt; start += 200) {
      await first.pipeline.process(await encodeLinesFor(first.codec.encoder, lines.slice(start, Math.min(restartAt, start + 200)), offsets));
      await first.storage.sink.flush();
      mostAsleep = Math.max(mostAsleep, first.store.dormantCount);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await first.close();
    expect(mostAsleep).toBeGreaterThan(20);
    expect(woken).toBeGreaterThan(0);

    const second = await createEmbeddedRuntime(config, logger, { dataPath, database: 'dormant_it', rebuild: true });
    try {
      expect(second.store.dormantCount).toBeGreaterThan(20);
      await second.pipeline.process(await encodeLinesFor(second.codec.encoder, lines.slice(restartAt), offsets));
      await second.storage.sink.flush();
      for (const [orderId, view] of expected) {
        const held = second.store.get(orderId);
        if (held !== null) expect(stripVolatile(held), orderId).toEqual(view);
        else expect(second.store.dormant(orderId), orderId).toBeDefined();
      }
      await expectGoldenTableEquals(second.storage.reader, 'dormant_it', expected);
    } finally {
      await second.close();
    }
  });
});
