import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import { createRuntimeApi } from '../../../src/runtime/api.js';
import { createAuthenticator } from '../../../src/api/index.js';
import { generateScenario } from '../../../src/simulator/index.js';
import { readGoldenTable } from '../../helpers/golden-table.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { changeWmsMapping, expectGoldenEqualsOracle, mergeWithRecordedVersions, oldAndNewNormalizers, ordersDiffering, WMS_MAPPING_CHANGE } from '../../helpers/live-reload-oracle.js';

const BATCH = 40;
const SWAP_AFTER_BATCHES = 25;

/**
 * "The same change applied live under load": the embedded runtime processes a simulated stream in
 * batches; mid-stream a status mapping changes in the (temporary) pipelines folder, found by the real
 * fs.watch. Each lake row names the version that normalized it; the golden table must equal the pure
 * merge of every event normalized with exactly that version, no event lost or stored twice.
 */
describe('live reload under load', () => {
  it('swaps a changed status mapping between batches: no event lost or applied twice, every later event on the new version', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'orderlake-live-reload-'));
    const pipelinesDir = path.join(work, 'pipelines');
    await cp(path.join(REPO_ROOT, 'pipelines'), pipelinesDir, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_PIPELINES_DIR: pipelinesDir, ORDERLAKE_HEALTH: 'on' }, REPO_ROOT);
    const runtime = await createEmbeddedRuntime(config, pino({ level: 'silent' }), {
      dataPath: path.join(work, 'data'),
      database: 'live_reload',
      recreate: true,
      healthClock: false,
      liveReload: { timer: false },
    });
    try {
      const reload = runtime.liveReload!;
      const lines = generateScenario({ seed: 13, orders: 150, startTime: Date.parse('2025-03-01T08:00:00Z') });
      const messages = await encodeLinesFor(runtime.codec.encoder, lines);
      expect(messages.length).toBeGreaterThan(SWAP_AFTER_BATCHES * BATCH * 1.5);

      const oldVersion = reload.live.active.version;
      const wmsFile = path.join(pipelinesDir, WMS_MAPPING_CHANGE.file);
      let savedAt = 0;
      let savedWall = 0;
      let swapBatch = -1;
      let liveWall = 0;
      const batches = Math.ceil(messages.length / BATCH);
      let events = 0;
      for (let b = 0; b < batches; b++) {
        if (b === SWAP_AFTER_BATCHES) {
          savedWall = Date.now();
          await changeWmsMapping(pipelinesDir);
          savedAt = Math.floor((await stat(wmsFile)).mtimeMs);
        }
        const result = await runtime.pipeline.process(messages.slice(b * BATCH, (b + 1) * BATCH));
        events += result.events;
        if (swapBatch < 0 && reload.live.active.version !== oldVersion) {
          swapBatch = b;
          liveWall = Date.now();
        }
        // Under load, but leave the event loop room for the watcher: a batch every few ms.
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(swapBatch).toBeGreaterThanOrEqual(SWAP_AFTER_BATCHES);
      const active = reload.live.active;
      const newVersion = active.version;
      expect(active.source).toBe('files');
      expect(active.changed).toEqual(['pipelines/wms-fulfillment.yaml']);
      const responseMs = active.since - savedAt;
      // eslint-disable-next-line no-console -- the figure the README quotes
      console.info(`live reload: file saved → live ${responseMs} ms (mtime → swap), ${liveWall - savedWall} ms wall clock until a batch ran on it; swapped before batch ${swapBatch} (saved before batch ${SWAP_AFTER_BATCHES})`);
      expect(responseMs).toBeLessThan(5000);
      await runtime.storage.sink.flush();

      // Every lake row names the version that normalized it; every event is there once.
      const rs = await runtime.storage.client.query({
        query: `SELECT topic, toString(\`offset\`) AS offset, order_id, event_uid, config_version FROM live_reload.lake_events`,
        format: 'JSONEachRow',
      });
      const lake = (await rs.json()) as Array<{ topic: string; offset: string; order_id: string; event_uid: string; config_version: string }>;
      const distinct = new Set(lake.map((r) => `${r.order_id}\u0000${r.event_uid}`));
      expect(lake.length).toBe(distinct.size);
      const versionAt = new Map<string, string>();
      for (const r of lake) versionAt.set(`${r.topic}\u0000${r.offset}`, r.config_version);
      expect(new Set(lake.map((r) => r.config_version))).toEqual(new Set([oldVersion, newVersion]));
      // Every event of a batch from the swap on is the new version's; every one before, the old one's.
      for (const [i, m] of messages.entries()) {
        const v = versionAt.get(`${m.topic}\u0000${m.offset}`);
        if (v === undefined) continue; // a tombstone, or a tracking event still waiting for its order
        expect([i, v]).toEqual([i, Math.floor(i / BATCH) >= swapBatch ? newVersion : oldVersion]);
      }

      // The oracle: the pure merge, each event normalized with the version its lake row records.
      const { oldNormalizer, newNormalizer } = await oldAndNewNormalizers();
      const positionOf = (i: number) => ({ topic: messages[i]!.topic, partition: 0, offset: messages[i]!.offset, timestamp: messages[i]!.timestamp });
      const oracle = mergeWithRecordedVersions(lines, {
        normalizers: new Map([
          [oldVersion, oldNormalizer],
          [newVersion, newNormalizer],
        ]),
        versionOf: (i) => versionAt.get(`${messages[i]!.topic}\u0000${messages[i]!.offset}`) ?? (Math.floor(i / BATCH) >= swapBatch ? newVersion : oldVersion),
        positionOf,
      });
      expect(distinct).toEqual(oracle.eventIds);
      const golden = await readGoldenTable(runtime.storage.client, 'live_reload');
      expectGoldenEqualsOracle(golden, oracle.views);
      // The change showed: some order's fulfillment went through PICKED where it would have been PACKED.
      const allOld = mergeWithRecordedVersions(lines, { normalizers: new Map([[oldVersion, oldNormalizer]]), versionOf: () => oldVersion, positionOf });
      expect(ordersDiffering(golden, oracle.views, allOld.views).length).toBeGreaterThan(0);

      // Golden rows name the version of the batch that produced them.
      const gv = await runtime.storage.client.query({ query: `SELECT config_version, count() AS n FROM live_reload.golden_orders FINAL GROUP BY config_version`, format: 'JSONEachRow' });
      const byVersion = new Map(((await gv.json()) as Array<{ config_version: string; n: number | string }>).map((r) => [r.config_version, Number(r.n)]));
      expect([...byVersion.keys()].every((v) => v === oldVersion || v === newVersion)).toBe(true);
      expect(byVersion.get(newVersion)).toBeGreaterThan(0);

      // GET /config's source, and the shared log.
      const status = await reload.status();
      expect(status.active.version).toBe(newVersion);
      expect(status.history.map((h) => h.version)).toEqual([newVersion, oldVersion]);
      expect(status.published[0]!.version).toBe(newVersion);

      // GET /config over HTTP: analysts and admins, not agents.
      const app = await createRuntimeApi(config, pino({ level: 'silent' }), runtime, {
        dataPath: path.join(work, 'data'),
        auth: createAuthenticator({ tokens: [{ token: 'an-analyst', role: 'analyst', name: 'a' }, { token: 'an-agent', role: 'agent', name: 'b' }] }),
      });
      try {
        const res = await app.inject({ method: 'GET', url: '/config', headers: { authorization: 'Bearer an-analyst' } });
        expect(res.statusCode).toBe(200);
        const body = res.json() as { version: string; hash: string; source: string; response_ms: number; history: Array<{ version: string }>; published: Array<{ version: string }> };
        expect(body).toMatchObject({ version: newVersion, source: 'files', response_ms: responseMs });
        expect(body.hash.startsWith(newVersion)).toBe(true);
        expect(body.history.map((e) => e.version)).toEqual([newVersion, oldVersion]);
        expect((await app.inject({ method: 'GET', url: '/config', headers: { authorization: 'Bearer an-agent' } })).statusCode).toBe(403);
      } finally {
        await app.close();
      }

      // An invalid change afterwards is refused; the version stays.
      await writeFile(wmsFile, (await readFile(wmsFile, 'utf8')).replace('type: millis-timestamp', 'type: millis'));
      await reload.poll();
      expect(reload.live.active.version).toBe(newVersion);
      expect(reload.live.history()[0]).toMatchObject({ status: 'refused' });
      expect(events).toBeGreaterThan(0);
    } finally {
      await runtime.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
