import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { runRedrive } from '../../../src/runtime/redrive.js';
import { createClickHouseClient } from '../../../src/sinks/index.js';
import { REPO_ROOT, expectedViews, generateScenario } from '../../helpers/pipeline-run.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { expectGoldenTableEquals, lakeCounts } from '../../helpers/golden-table.js';

/**
 * Embedded mode: the re-drive command runs the cured dead letters through an embedded pipeline on
 * the same chDB directory (its state restored first), once; stopped at --limit and run again, then
 * once more, the golden table is the pure merge under the fixed mapping.
 */
describe('orderlake redrive (embedded)', () => {
  it('merges cured dead letters once through the embedded pipeline', async () => {
    const brokenDir = await mkdtemp(path.join(tmpdir(), 'orderlake-pipelines-broken-'));
    await cp(path.join(REPO_ROOT, 'pipelines'), brokenDir, { recursive: true });
    const wmsFile = path.join(brokenDir, 'wms-fulfillment.yaml');
    const wms = parse(await readFile(wmsFile, 'utf8')) as { maps: { wms_event_types: { values: Record<string, string> } } };
    delete wms.maps.wms_event_types.values.SHIPPED;
    await writeFile(wmsFile, stringify(wms));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-redrive-embedded-'));
    const env = { LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: 'redrive_it', ORDERLAKE_HEALTH: 'off' };
    const logger = pino({ level: 'silent' });
    const lines = generateScenario({ seed: 77, orders: 80, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.1, shuffle: 'full' });
    const shipped = lines.filter((l) => l.topic === 'wms.fulfillment.events' && (l.value as { event_type?: string } | null)?.event_type === 'SHIPPED').length;
    expect(shipped).toBeGreaterThan(10);

    const broken = await createEmbeddedRuntime(loadConfig({ ...env, ORDERLAKE_PIPELINES_DIR: brokenDir }, REPO_ROOT), logger, {
      dataPath: path.join(dataDir, 'lake'),
      database: 'redrive_it',
      recreate: true,
      rebuild: true,
    });
    const messages = await encodeLinesFor(broken.codec.encoder, lines);
    const result = await broken.pipeline.process(messages);
    expect(result.deadLetters).toBe(shipped);
    await broken.close();

    const fixed = loadConfig({ ...env, ORDERLAKE_PIPELINES_DIR: path.join(REPO_ROOT, 'pipelines') }, REPO_ROOT);
    const first = await runRedrive(fixed, logger, { since: Date.now() - 3_600_000, limit: 5 });
    expect(first).toMatchObject({ cured: 5, appliedEvents: 5, limited: true });
    const second = await runRedrive(fixed, logger, { since: Date.now() - 3_600_000 });
    expect(second).toMatchObject({ selected: shipped, cured: shipped - 5, skipped: { already_cured: 5 }, stillFailing: {} });
    const third = await runRedrive(fixed, logger, { since: Date.now() - 3_600_000 });
    expect(third).toMatchObject({ cured: 0, appliedEvents: 0, skipped: { already_cured: shipped } });

    const client = createClickHouseClient({ database: 'redrive_it', dataPath: path.join(dataDir, 'lake') });
    try {
      await expectGoldenTableEquals(client, 'redrive_it', await expectedViews(lines));
      const lake = await lakeCounts(client, 'redrive_it');
      expect(lake.rows).toBe(lake.distinct);
    } finally {
      await client.close();
    }
  });
});
