import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { createEmbeddedRuntime } from '../../../src/main.js';
import type { RawMessage } from '../../../src/pipeline/raw-message.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';
import { parsePrometheusText } from '../../helpers/prometheus-text.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/six-orders-in-order.jsonl');

/** Embedded mode's batches (all stages at once, on chDB) are timed under `stage="embedded"`. */
describe('embedded batch timing', () => {
  it('observes orderlake_batch_seconds{stage="embedded"} once per pipeline.process call', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' }, REPO_ROOT);
    const dataPath = await mkdtemp(path.join(tmpdir(), 'orderlake-embedded-metrics-'));
    const runtime = await createEmbeddedRuntime(config, pino({ level: 'silent' }), { dataPath, database: 'embedded_metrics', recreate: true });
    try {
      const lines = (await readFile(FIXTURE, 'utf8'))
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ReplayLine);
      const messages: RawMessage[] = [];
      for (const [i, line] of lines.entries()) {
        messages.push({
          topic: line.topic,
          partition: 0,
          offset: String(i),
          timestamp: 0,
          key: await runtime.codec.encoder.encodeKey(line.topic, line.key),
          value: line.value === null ? null : await runtime.codec.encoder.encode(line.topic, line.schema, line.value),
        });
      }
      const half = Math.floor(messages.length / 2);
      const first = await runtime.pipeline.process(messages.slice(0, half));
      await runtime.pipeline.process(messages.slice(half));
      expect(first.events).toBeGreaterThan(0);
      expect(runtime.pipeline.pendingCount).toBeGreaterThanOrEqual(0);

      const scrape = parsePrometheusText(await runtime.metrics.registry.metrics());
      const series = (name: string) => scrape.samples.filter((s) => s.name === name && s.labels.stage === 'embedded');
      expect(series('orderlake_batch_seconds_count').map((s) => s.value)).toEqual([2]);
      expect(series('orderlake_batch_seconds_sum')[0]!.value).toBeGreaterThan(0);
      expect(scrape.samples.filter((s) => s.name === 'orderlake_batch_seconds_count' && s.labels.stage !== 'embedded')).toEqual([]);
    } finally {
      await runtime.close();
      await rm(dataPath, { recursive: true, force: true });
    }
  });
});
