import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createGoldenStore } from '../../../src/golden/index.js';
import { createMetrics } from '../../../src/metrics.js';
import { createMergeStage, type MergeItem } from '../../../src/pipeline/merge-stage.js';
import { createHealth, restoreHealth } from '../../../src/runtime/health-wiring.js';
import { rebuildState } from '../../../src/runtime/state-rebuild.js';
import { createStorage, type Storage } from '../../../src/runtime/storage.js';
import type { CanonicalEvent } from '../../../src/normalize/index.js';
import { crmOrder, MINUTE, T0, wms } from '../../helpers/golden-events.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

/**
 * A worker that died after storing an order's events, but before that order's golden row and its
 * exception case reached ClickHouse: the next owner restores the order from the lake and must judge
 * it again. With a short dormancy, a quiet closed order restored in memory can fall asleep (a
 * flush of another partition sweeps) before the health rules get to it; the case is then opened
 * from the view it was restored with. Real chDB, the shipped rules.
 */
const logger = pino({ level: 'silent' });
const database = 'orderlake_restore_health_test';
let dataDir: string;
let storage: Storage;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-restore-health-'));
  const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
  storage = await createStorage(config, logger, { dataPath: path.join(dataDir, 'lake'), database, recreate: true });
});

afterAll(async () => {
  await storage?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const item = (event: CanonicalEvent, offset: number): MergeItem => ({
  orderId: 'SO-1',
  event,
  position: { topic: 'crm', partition: 0, offset: String(offset), timestamp: T0 },
  ownerPartition: 0,
});

describe('restoring exception cases after a takeover', () => {
  it('opens the case of an order restored from the lake even when it fell asleep before the rules judged it', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir }, REPO_ROOT);
    let time = T0 + 60 * MINUTE;
    const now = () => (time += 1000);

    // The worker that died: its lake rows are stored; its golden rows and cases never were.
    const before = createMergeStage({ store: createGoldenStore({ now }), sink: storage.sink, now });
    await before.merge([
      item(crmOrder({ order_id: 'SO-1', row_version: 1, status: 'PAID' }), 0),
      item(wms('SHORT_PICKED', T0 + 5 * MINUTE, { event_id: 'w-1', order_id: 'SO-1' }), 1),
    ]);
    await before.merge([item(crmOrder({ order_id: 'SO-1', row_version: 2, status: 'CANCELLED', updated_at: T0 + 10 * MINUTE }), 2)]);
    await storage.sink.flush();
    await storage.client.command({ query: `TRUNCATE TABLE ${database}.golden_orders` });

    // The next owner restores it (the golden row of its version is only buffered), then a sweep
    // puts the quiet closed order to sleep before the cases are restored.
    const store = createGoldenStore({ now });
    const merge = createMergeStage({ store, sink: storage.sink, now });
    const restored = await rebuildState(storage, { merge, store }, [0], logger);
    expect(restored.map((r) => [r.orderId, r.view?.version, r.view?.exceptions])).toEqual([['SO-1', 2, ['SHORT_PICK']]]);
    store.markDormant('SO-1', 2, store.head('SO-1')!.updatedAt);
    expect(store.get('SO-1')).toBeNull();

    const health = await createHealth(config, logger, storage, createMetrics(), { now });
    await restoreHealth(health, storage, { store, merge }, { partitions: [0], withShared: true, restored, ownerPartition: () => 0 }, logger);
    expect(health.casesOfOrder('SO-1').map((c) => [c.rule, c.status])).toEqual([['short-pick', 'open']]);
  });
});
