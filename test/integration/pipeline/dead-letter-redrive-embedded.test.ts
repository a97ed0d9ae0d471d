import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { runRedrive } from '../../../src/runtime/redrive.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { createAuthenticator } from '../../../src/api/index.js';
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

  it('the admin route re-drives through the version live reload switched to, and records it', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'orderlake-redrive-live-'));
    const pipelinesDir = path.join(work, 'pipelines');
    await cp(path.join(REPO_ROOT, 'pipelines'), pipelinesDir, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    const wmsFile = path.join(pipelinesDir, 'wms-fulfillment.yaml');
    const fixedText = await readFile(wmsFile, 'utf8');
    const wms = parse(fixedText) as { maps: { wms_event_types: { values: Record<string, string> } } };
    delete wms.maps.wms_event_types.values.SHIPPED;
    await writeFile(wmsFile, stringify(wms));
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_DATA_DIR: work, ORDERLAKE_PIPELINES_DIR: pipelinesDir, ORDERLAKE_HEALTH: 'off' }, REPO_ROOT);
    const logger = pino({ level: 'silent' });
    const dataPath = path.join(work, 'lake');
    const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database: 'redrive_live', recreate: true, liveReload: { timer: false } });
    const app = await createRuntimeApi(config, logger, runtime, {
      dataPath,
      auth: createAuthenticator({ tokens: [{ token: 'redrive-admin', role: 'admin', name: 'admin' }] }),
    });
    try {
      await app.ready();
      const lines = generateScenario({ seed: 78, orders: 60, startTime: Date.UTC(2026, 10, 22), duplicateRate: 0.1, shuffle: 'full' });
      const shipped = lines.filter((l) => l.topic === 'wms.fulfillment.events' && (l.value as { event_type?: string } | null)?.event_type === 'SHIPPED').length;
      expect(shipped).toBeGreaterThan(5);
      expect((await runtime.pipeline.process(await encodeLinesFor(runtime.codec.encoder, lines))).deadLetters).toBe(shipped);
      const brokenVersion = runtime.liveReload!.live.active.version;

      // The mapping fixed on disk and taken live (no restart): the route must use it, not the files the worker started with.
      await writeFile(wmsFile, fixedText);
      await runtime.liveReload!.poll();
      const fixedVersion = runtime.liveReload!.live.active.version;
      expect(fixedVersion).not.toBe(brokenVersion);
      const res = await app.inject({
        method: 'POST',
        url: '/admin/dead-letters/redrive',
        headers: { authorization: 'Bearer redrive-admin', 'content-type': 'application/json' },
        payload: { since: '1h' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ selected: shipped, cured: shipped, applied_events: shipped, still_failing: {}, config_version: fixedVersion });

      await runtime.storage.sink.flush(); // golden rows follow the lake on their own lane
      const client = runtime.storage.reader;
      await expectGoldenTableEquals(client, 'redrive_live', await expectedViews(lines));
      const shippedRows = (await (
        await client.query({
          query: `SELECT config_version, count() AS n FROM redrive_live.lake_events FINAL
                  WHERE source = 'wms' AND JSONExtractString(payload, 'event_type') = 'SHIPPED' GROUP BY config_version`,
          format: 'JSONEachRow',
        })
      ).json()) as Array<{ config_version: string; n: number | string }>;
      const distinctShipped = new Set(lines.filter((l) => (l.value as { event_type?: string } | null)?.event_type === 'SHIPPED' && l.topic === 'wms.fulfillment.events').map((l) => (l.value as { event_id: string }).event_id)).size;
      expect(shippedRows.map((r) => [r.config_version, Number(r.n)])).toEqual([[fixedVersion, distinctShipped]]);
    } finally {
      await app.close();
      await runtime.close();
    }
  });
});
