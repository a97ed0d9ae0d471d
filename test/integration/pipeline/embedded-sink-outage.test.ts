import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime, type EmbeddedRuntime } from '../../../src/main.js';
import type { RawMessage } from '../../../src/pipeline/raw-message.js';
import { REPO_ROOT, expectedViews, generateScenario } from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, lakeCounts } from '../../helpers/golden-table.js';
import { createInsertFaultInjector } from '../../helpers/clickhouse-insert-faults.js';
import { encodeLinesFor } from '../../helpers/replay-into.js';
import { waitFor } from '../../helpers/kafka-topics.js';

const BATCH = 100;
const ACK_WINDOW = 4;
/**
 * The stated bound on rows held in memory for ClickHouse while it refuses every insert: the
 * window's batches, at most 4 rows per message (a lake row for the event and for each tracking
 * event it releases, a pending-shipment row, a golden row). Without backpressure the buffer grows
 * with every batch the source offers.
 */
const MAX_BUFFERED_ROWS = ACK_WINDOW * BATCH * 4;

const positionsOf = (runtime: EmbeddedRuntime) =>
  Object.fromEntries(runtime.pipeline.acknowledged().map((p) => [`${p.topic}/${p.partition}`, Number(p.offset)]));

/**
 * Embedded mode while ClickHouse refuses every insert (a labelled fault injector around the real
 * chDB client, switched by the test): the source is paused once ORDERLAKE_ACK_WINDOW batches wait
 * for their acknowledgement, the rows held for ClickHouse stay under a stated bound, no source
 * position is acknowledged while nothing can be stored, and once inserts are accepted again
 * everything is stored and the golden table equals the pure merge.
 */
describe('embedded mode with the ClickHouse sink failing', () => {
  it('pauses the source, holds bounded memory, acknowledges nothing unstored, and catches up', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', ORDERLAKE_ACK_WINDOW: String(ACK_WINDOW) }, REPO_ROOT);
    const logger = pino({ level: 'silent' });
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-sink-outage-'));
    const database = 'sink_outage_it';
    const faults = createInsertFaultInjector();
    const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, recreate: true, health: false, insert: faults.insert });
    try {
      const lines = generateScenario({ seed: 3131, orders: 250, startTime: Date.UTC(2026, 10, 23), duplicateRate: 0.1, shuffle: 'full' });
      const expected = await expectedViews(lines);
      const messages = await encodeLinesFor(runtime.codec.encoder, lines);
      const batches: RawMessage[][] = [];
      for (let i = 0; i < messages.length; i += BATCH) batches.push(messages.slice(i, i + BATCH));
      const ends: Record<string, number> = {};
      for (const m of messages) ends[`${m.topic}/${m.partition}`] = Math.max(ends[`${m.topic}/${m.partition}`] ?? 0, Number(m.offset) + 1);

      // 1. A third of the stream with ClickHouse up: everything acknowledged once stored.
      const before = Math.floor(batches.length / 3);
      for (const batch of batches.slice(0, before)) await runtime.pipeline.process(batch);
      await runtime.pipeline.settle();
      expect(runtime.pipeline.unacknowledged).toBe(0);
      const storedBefore = faults.counts.stored;

      // 2. ClickHouse refuses every insert; the source keeps offering batches.
      faults.refuse();
      let fed = before;
      const feeding = (async () => {
        for (const batch of batches.slice(before)) {
          await runtime.pipeline.process(batch);
          fed++;
        }
      })();
      // Paused: the window is full and inserts are being refused, with none still in the engine.
      await waitFor(() => runtime.pipeline.unacknowledged === ACK_WINDOW && faults.counts.refused > 0 && faults.counts.inEngine === 0, {
        timeoutMs: 60_000,
        intervalMs: 10,
        describe: 'the embedded source to pause on a full window',
      });
      const pausedAt = fed;
      const acknowledgedAtPause = positionsOf(runtime);
      const storedAtPause = faults.counts.stored;
      const refusedAtPause = faults.counts.refused;
      // Watch several flush attempts (each retried by the sink) fail while the source stays paused.
      let maxBuffered = 0;
      let maxUnacknowledged = 0;
      const violations = new Set<string>();
      await waitFor(
        () => {
          maxBuffered = Math.max(maxBuffered, runtime.storage.sink.pendingRows());
          maxUnacknowledged = Math.max(maxUnacknowledged, runtime.pipeline.unacknowledged);
          if (fed !== pausedAt) violations.add(`the source was fed ${fed - pausedAt} more batches while paused`);
          if (JSON.stringify(positionsOf(runtime)) !== JSON.stringify(acknowledgedAtPause)) violations.add(`acknowledged ${JSON.stringify(positionsOf(runtime))} while nothing could be stored`);
          return faults.counts.refused >= refusedAtPause + 12;
        },
        { timeoutMs: 120_000, intervalMs: 10, describe: 'a dozen more refused inserts' },
      );
      const refusedInWindow = faults.counts.refused - refusedAtPause;
      const pendingMetric = (await runtime.metrics.unacknowledgedBatches.get()).values.find((v) => v.labels.stage === 'embedded')?.value;
      console.log(
        `[embedded-sink-outage] paused after ${pausedAt - before} batches of ${BATCH} while failing; ${refusedInWindow} inserts refused while paused; at most ${maxBuffered} rows buffered (bound ${MAX_BUFFERED_ROWS}), ${maxUnacknowledged} batches unacknowledged (window ${ACK_WINDOW}, gauge ${pendingMetric})`,
      );
      expect([...violations]).toEqual([]);
      expect(pausedAt - before).toBe(ACK_WINDOW); // the window filled, and the next batch waits for room
      expect(maxUnacknowledged).toBe(ACK_WINDOW);
      expect(pendingMetric).toBe(ACK_WINDOW);
      expect(maxBuffered).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(MAX_BUFFERED_ROWS);
      expect(faults.counts.stored).toBe(storedAtPause);
      expect(storedAtPause).toBeGreaterThanOrEqual(storedBefore);
      // Acknowledged no further than the batches stored before the outage.
      const storedMessages = batches.slice(0, before).flat();
      const storedEnds: Record<string, number> = {};
      for (const m of storedMessages) storedEnds[`${m.topic}/${m.partition}`] = Math.max(storedEnds[`${m.topic}/${m.partition}`] ?? 0, Number(m.offset) + 1);
      expect(acknowledgedAtPause).toEqual(storedEnds);

      // 3. ClickHouse accepts inserts again: the source resumes and everything is stored.
      const healedAt = performance.now();
      faults.restore();
      await feeding;
      await runtime.pipeline.settle();
      await runtime.storage.sink.flush();
      console.log(`[embedded-sink-outage] caught up ${batches.length - pausedAt} batches in ${Math.round(performance.now() - healedAt)} ms after the sink came back`);
      expect(fed).toBe(batches.length);
      expect(runtime.pipeline.unacknowledged).toBe(0);
      expect(positionsOf(runtime)).toEqual(ends);
      expect(runtime.storage.sink.pendingRows()).toBe(0);
      await expectGoldenTableEquals(runtime.storage.reader, database, expected);
      const lake = await lakeCounts(runtime.storage.reader, database);
      expect(lake.distinct).toBe(lake.rows);
    } finally {
      await runtime.close();
    }
  });
});
