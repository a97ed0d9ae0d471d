import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../src/metrics.js';
import type { ReplayLine } from '../../../src/simulator/index.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import {
  REPO_ROOT,
  createSourceTopics,
  malformedMessages,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  produceScenario,
  randomName,
  spawnWorker,
  stopWorker,
  type WorkerProcess,
} from '../../helpers/pipeline-run.js';
import { parsePrometheusText, type PromExposition } from '../../helpers/prometheus-text.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { connectFeed } from './support/feed-client.js';

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string }>;
}

/** The Grafana dashboard uses only the metric names declared in src/metrics.ts, and its panels do not overlap. */
describe('dashboards/grafana-orderlake.json', () => {
  it('queries only declared metrics, and every feed metric is on it', async () => {
    const dashboard = JSON.parse(await readFile(path.join(REPO_ROOT, 'dashboards/grafana-orderlake.json'), 'utf8')) as { panels: Panel[] };
    const declared = new Set<string>(Object.values(METRIC_NAMES));
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of target.expr.match(/\borderlake_[a-z_]+/g) ?? []) used.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    expect([...used].filter((name) => !declared.has(name))).toEqual([]);
    for (const name of [METRIC_NAMES.wsClients, METRIC_NAMES.pushLatencySource, METRIC_NAMES.pushLatencyKafka]) expect(used).toContain(name);
  });

  it('shares a Grafana instance with the ClickHouse health dashboard: distinct uids and titles', async () => {
    // dashboards/grafana/orderlake-health.json is checked against chDB in test/integration/sinks/grafana-health-dashboard.test.ts.
    const files = ['dashboards/grafana-orderlake.json', 'dashboards/grafana/orderlake-health.json'];
    const dashboards = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(REPO_ROOT, f), 'utf8')) as { uid: string; title: string }));
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(files.length);
    expect(new Set(dashboards.map((d) => d.title)).size).toBe(files.length);
  });

  it('lays its panels out without overlaps', async () => {
    const dashboard = JSON.parse(await readFile(path.join(REPO_ROOT, 'dashboards/grafana-orderlake.json'), 'utf8')) as { panels: Panel[] };
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.get(`${i},${j}`), `${panel.title} overlaps`).toBeUndefined();
          cells.set(`${i},${j}`, panel.title);
        }
      }
    }
  });
});

const DASHBOARD = path.join(REPO_ROOT, 'dashboards/grafana-orderlake.json');
const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/contract/forty-orders-shuffled.jsonl');
const TOKEN = 'dashboard-agent-token-5e1d';

/** Every metric name as the dashboard's queries write it (`…_bucket`, `…_sum`, `…_count` kept). */
async function dashboardSeries(): Promise<string[]> {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const names = new Set<string>();
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) for (const name of target.expr.match(/\borderlake_[a-z_]+/g) ?? []) names.add(name);
  }
  return [...names].sort();
}

/**
 * What a scrape lacks of the series the dashboard queries: a name with no sample; for a histogram
 * (named by any of its series), any of its _bucket/_sum/_count series, or a _count still at 0.
 */
function missingSeries(scrape: PromExposition, queried: readonly string[]): string[] {
  const missing: string[] = [];
  const has = (name: string) => scrape.samples.some((s) => s.name === name);
  for (const name of queried) {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    if (scrape.types.get(family) === 'histogram') {
      for (const series of [`${family}_bucket`, `${family}_sum`, `${family}_count`]) if (!has(series)) missing.push(series);
      if (!scrape.samples.some((s) => s.name === `${family}_count` && s.value > 0)) missing.push(`${family}_count > 0`);
    } else if (!has(name)) {
      missing.push(name);
    }
  }
  return [...new Set(missing)];
}

/** The worker's HTTP address, from its "HTTP API listening" log line. */
async function workerAddress(worker: WorkerProcess): Promise<string> {
  return waitFor(
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}; see ${worker.logFile}`);
      for (const line of (await readFile(worker.logFile, 'utf8')).split('\n')) {
        if (!line.includes('HTTP API listening')) continue;
        return (JSON.parse(line) as { address: string }).address;
      }
      return null;
    },
    { timeoutMs: 120_000, intervalMs: 200, describe: 'the worker to listen for HTTP' },
  );
}

/**
 * The dashboard against a real Kafka worker: an `orderlake start` process on the run's broker with
 * chDB, fed the forty-order contract example (tombstones included) plus malformed messages, with a
 * feed client following every order. Every series any panel queries must then be in its
 * `GET /metrics`, with samples — the per-stage batch timings and consumer lag among them.
 */
describe.each(['kafkajs', 'rdkafka'] as const)('dashboards/grafana-orderlake.json on a running Kafka worker (%s)', (kafkaClient) => {
  const k = useTestKafka();

  it('finds every series the dashboard queries in GET /metrics, with samples', async () => {
    const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('dash')}.`);
    await createSourceTopics(k.admin, topics, 3);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-dashboard-'));
    const env = { ...newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), dir, dataDir), partitions: 3, kafkaClient };
    const worker = await spawnWorker(env, 'dashboard', { ORDERLAKE_AUTH_TOKENS: `${TOKEN}:agent`, ORDERLAKE_LAG_INTERVAL_MS: '200' });
    try {
      const address = await workerAddress(worker);
      await waitFor(async () => (await fetch(`${address}/ready`)).status === 200, { timeoutMs: 120_000, intervalMs: 200, describe: 'the worker to be ready' });
      const feed = await connectFeed(`${address.replace(/^http/, 'ws')}/ws`, { token: TOKEN });
      try {
        feed.send({ type: 'subscribe', id: 'all', filter: {} });
        await feed.next((m) => m.type === 'snapshot');

        const lines = (await readFile(FIXTURE, 'utf8'))
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as ReplayLine);
        await produceScenario(k.kafka, schemaRegistryUrl(), lines, topics, malformedMessages(topics, 4));

        const queried = await dashboardSeries();
        expect(queried.length).toBeGreaterThan(15);
        const scrape = await waitFor(
          async () => {
            if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}; see ${worker.logFile}`);
            const response = await fetch(`${address}/metrics`);
            expect(response.status).toBe(200);
            const parsed = parsePrometheusText(await response.text());
            const missing = missingSeries(parsed, queried);
            const lagStages = new Set(parsed.samples.filter((s) => s.name === METRIC_NAMES.consumerLag).map((s) => s.labels.stage));
            const timedStages = new Set(
              parsed.samples.filter((s) => s.name === `${METRIC_NAMES.batchSeconds}_count` && s.value > 0).map((s) => s.labels.stage),
            );
            for (const stage of ['ingest', 'link', 'merge']) {
              if (!lagStages.has(stage)) missing.push(`${METRIC_NAMES.consumerLag}{stage="${stage}"}`);
              if (!timedStages.has(stage)) missing.push(`${METRIC_NAMES.batchSeconds}_count{stage="${stage}"} > 0`);
            }
            if (missing.length > 0) throw new Error(`not yet in GET /metrics: ${missing.join(', ')}`);
            return parsed;
          },
          { timeoutMs: 120_000, intervalMs: 250, describe: 'every series the dashboard queries to have samples' },
        );

        expect(missingSeries(scrape, queried)).toEqual([]);
        // Lag is reported per stage and per partition held: this lone worker holds all three of each topic.
        const lag = scrape.samples.filter((s) => s.name === METRIC_NAMES.consumerLag);
        const partitionsOf = (stage: string) => lag.filter((s) => s.labels.stage === stage).map((s) => `${s.labels.topic}[${s.labels.partition}]`).sort();
        expect(partitionsOf('merge')).toEqual([0, 1, 2].map((p) => `${env.topicPrefix}events[${p}]`));
        expect(partitionsOf('link')).toEqual([0, 1, 2].map((p) => `${env.topicPrefix}links[${p}]`));
        expect(partitionsOf('ingest')).toEqual(Object.values(topics).flatMap((t) => [0, 1, 2].map((p) => `${t}[${p}]`)).sort());
        for (const sample of lag) expect(sample.value, JSON.stringify(sample.labels)).toBeGreaterThanOrEqual(0);
      } finally {
        await feed.close();
      }
      expect(await stopWorker(worker)).toBe(0);
    } finally {
      await stopWorker(worker);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
