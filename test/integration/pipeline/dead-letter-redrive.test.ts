import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import {
  REPO_ROOT,
  createSourceTopics,
  expectedViews,
  generateScenario,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  produceScenario,
  randomName,
  spawnWorker,
  stopWorker,
  topicEndOffsetSum,
  waitUntilDrained,
  type WorkerEnv,
} from '../../helpers/pipeline-run.js';
import { expectGoldenTableEquals, lakeCounts } from '../../helpers/golden-table.js';
import { workerHttp, workerReaper } from '../../helpers/worker-http.js';
import { createClickHouseClient, type ClickHouseClient } from '../../../src/sinks/index.js';

const exec = promisify(execFile);

/** `orderlake redrive ARGS` as an operator runs it, against the worker's Kafka, registry and chDB directory. */
async function redriveCli(env: WorkerEnv, pipelinesDir: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec(process.execPath, [path.join(REPO_ROOT, 'bin/orderlake.js'), 'redrive', ...args], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KAFKA_BROKERS: env.brokers.join(','),
      SCHEMA_REGISTRY_URL: env.registryUrl,
      ORDERLAKE_PIPELINES_DIR: pipelinesDir,
      ORDERLAKE_DATA_DIR: env.dataDir,
      CLICKHOUSE_DATABASE: env.database,
      ORDERLAKE_TOPIC_PREFIX: env.topicPrefix,
      ORDERLAKE_INTERNAL_PARTITIONS: String(env.partitions),
      LOG_LEVEL: 'warn',
    },
  });
}

function summaryLine(stdout: string, label: string): string {
  const line = stdout.split('\n').find((l) => l.trimStart().startsWith(label));
  if (line === undefined) throw new Error(`no '${label}' line in:\n${stdout}`);
  return line.trim();
}

async function withClient<T>(env: WorkerEnv, fn: (client: ClickHouseClient) => Promise<T>): Promise<T> {
  const client = createClickHouseClient({ database: env.database, dataPath: path.join(env.dataDir, 'lake') });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function rows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[];
}

/**
 * Dead-letter re-drive on a real broker and a real worker process: a WMS mapping that lacks
 * PACKED dead-letters every PACKED event (re-deliveries included); with the mapping fixed, a
 * re-drive stopped half-way, then a crash simulated between producing and marking (the marks of
 * the first run removed), then a full re-drive through the worker's API, and one more that finds
 * nothing: the golden table equals the pure merge of every message under the fixed mapping, the
 * lake holds each event once though some were produced twice, and every dead letter is cured.
 */
describe('orderlake redrive (Kafka)', () => {
  const k = useTestKafka();
  const reaper = workerReaper();
  afterEach(() => reaper.killAll());

  it('applies cured dead letters exactly once, however often it is run or stopped', async () => {
    const { dir: fixedDir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
    const brokenDir = await mkdtemp(path.join(tmpdir(), 'orderlake-pipelines-broken-'));
    await cp(fixedDir, brokenDir, { recursive: true });
    const wmsFile = path.join(brokenDir, 'wms-fulfillment.yaml');
    const wms = parse(await readFile(wmsFile, 'utf8')) as { maps: { wms_event_types: { values: Record<string, string> } } };
    delete wms.maps.wms_event_types.values.PACKED;
    await writeFile(wmsFile, stringify(wms));

    await createSourceTopics(k.admin, topics, 3);
    const lines = generateScenario({ seed: 1313, orders: 120, startTime: Date.UTC(2026, 10, 21), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const packed = lines.filter((l) => l.topic === 'wms.fulfillment.events' && (l.value as { event_type?: string } | null)?.event_type === 'PACKED').length;
    expect(packed).toBeGreaterThan(20);
    const expected = await expectedViews(lines);
    await produceScenario(k.kafka, schemaRegistryUrl(), lines, topics, []);
    const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-it-'));
    const env = newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), brokenDir, dataDir);
    const eventsTopic = `${env.topicPrefix}events`;
    // The internal topics up front, each partition with its leader: a worker that creates them
    // itself can meet "not the leader" when its changelog follower reads their end offsets at once.
    await k.admin.createTopics({
      waitForLeaders: true,
      topics: [
        ...['events', 'links', 'dead-letters'].map((t) => ({ topic: `${env.topicPrefix}${t}`, numPartitions: env.partitions, replicationFactor: 1 })),
        { topic: `${env.topicPrefix}golden`, numPartitions: env.partitions, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    });

    // 1. The broken mapping: every PACKED message is a dead letter, the rest is merged.
    const broken = reaper.track(await spawnWorker(env, 'worker-broken'));
    await waitUntilDrained(k.admin, env, Object.values(topics), broken, 240_000);
    expect(await stopWorker(broken)).toBe(0);
    const deadBefore = await withClient(env, (c) => rows<{ stage: string; code: string }>(c, `SELECT stage, code FROM ${env.database}.dead_letters FINAL`));
    expect(deadBefore).toHaveLength(packed);
    expect(new Set(deadBefore.map((d) => `${d.stage} ${d.code}`))).toEqual(new Set(['normalize OL_ERR_NORMALIZE_MAPPING']));
    const producedBefore = await topicEndOffsetSum(k.admin, eventsTopic);

    // 2. The mapping fixed. A re-drive stopped half-way (--limit), with the worker down (chDB: one process per directory).
    const half = Math.floor(packed / 2);
    const first = await redriveCli(env, fixedDir, ['--since', '1d', '--limit', String(half), '--code', 'OL_ERR_NORMALIZE_MAPPING']);
    expect(summaryLine(first.stdout, 'cured')).toBe(`cured          ${half} (${half} events applied)`);
    expect(first.stdout).toContain('stopped at --limit');
    expect(first.stderr).toMatch(/re-drive: \d+ looked at/);
    expect(await topicEndOffsetSum(k.admin, eventsTopic)).toBe(producedBefore + half);

    // 3. A crash between producing and marking, simulated: the first run's marks are gone, its events are on the topic.
    await withClient(env, (c) => c.command({ query: `TRUNCATE TABLE ${env.database}.dead_letter_redrives` }));

    // 4. The fixed pipelines deployed (saved after the broken worker published its version, so the
    // worker runs them rather than joining the shared log's), the rest re-driven through its admin API.
    const deployedAt = new Date();
    for (const name of await readdir(fixedDir)) if (name.endsWith('.yaml')) await utimes(path.join(fixedDir, name), deployedAt, deployedAt);
    const http = await workerHttp();
    const adminToken = randomName('admin');
    const fixed = reaper.track(
      await spawnWorker({ ...env, pipelinesDir: fixedDir }, 'worker-fixed', { ...http.env, ORDERLAKE_AUTH_TOKENS: `${http.token}:agent,${adminToken}:admin` }),
    );
    const post = async (token: string, body: unknown) => {
      for (;;) {
        const res = await fetch(`${http.base}/admin/dead-letters/redrive`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }).catch(() => null);
        if (fixed.child.exitCode !== null) throw new Error(`worker exited; see ${fixed.logFile}`);
        // Until the API has taken the port over from the early listener: refused, or 503.
        if (res === null || res.status === 503) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        return { status: res.status, body: (await res.json()) as any };
      }
    };
    expect((await post(http.token, { since: '1d' })).status).toBe(403);
    expect((await post(adminToken, { since: 'tomorrow' })).status).toBe(400);
    const second = await post(adminToken, { since: '1d' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ selected: packed, cured: packed, applied_events: packed, still_failing: {}, skipped: {}, limited: false });
    // Named by the version live reload runs and records on lake rows (GET /config).
    const configNow = (await (await fetch(`${http.base}/config`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { version: string; source: string };
    const liveVersion = configNow.version;
    expect(configNow.source).toBe('start');
    expect(liveVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(second.body.config_version).toBe(liveVersion);
    const third = await post(adminToken, { since: '1d', code: 'OL_ERR_NORMALIZE_MAPPING' });
    // Cured ones fail with no code now: a re-drive of a code finds none of them.
    expect(third.body).toMatchObject({ selected: 0, cured: 0, applied_events: 0, skipped: {} });
    await waitUntilDrained(k.admin, env, Object.values(topics), fixed, 240_000);
    expect(await stopWorker(fixed)).toBe(0);
    // The first half went to the topic twice (and the link stage forwarded the tracking events
    // that had waited for the tracking numbers the PACKED events carry).
    const afterWorker = await topicEndOffsetSum(k.admin, eventsTopic);
    expect(afterWorker).toBeGreaterThanOrEqual(producedBefore + half + packed);

    // 5. Once more from the CLI: nothing to do.
    const fourth = await redriveCli(env, fixedDir, ['--since', '1d']);
    expect(summaryLine(fourth.stdout, 'cured')).toBe('cured          0 (0 events applied)');
    expect(summaryLine(fourth.stdout, 'skipped')).toBe(`skipped        ${packed} (already_cured ${packed})`);
    expect(await topicEndOffsetSum(k.admin, eventsTopic)).toBe(afterWorker);

    await withClient(env, async (c) => {
      await expectGoldenTableEquals(c, env.database, expected);
      const lake = await lakeCounts(c, env.database);
      expect(lake.rows).toBe(lake.distinct);
      const marks = await rows<{ cured: number | string; failed: number | string; versions: number | string }>(
        c,
        `SELECT countIf(outcome = 'cured') AS cured, countIf(outcome = 'failed') AS failed, uniqExact(config_version) AS versions
         FROM ${env.database}.dead_letter_redrives FINAL`,
      );
      expect(marks.map((m) => [Number(m.cured), Number(m.failed), Number(m.versions)])).toEqual([[packed, 0, 1]]);
      // The CLI's runs read the same files: the same version, on the marks and on the cured events' lake rows.
      expect(await rows(c, `SELECT DISTINCT config_version FROM ${env.database}.dead_letter_redrives FINAL`)).toEqual([{ config_version: liveVersion }]);
      const packedRows = await rows<{ config_version: string; n: number | string }>(
        c,
        `SELECT config_version, count() AS n FROM ${env.database}.lake_events FINAL
         WHERE source = 'wms' AND JSONExtractString(payload, 'event_type') = 'PACKED' GROUP BY config_version`,
      );
      const distinctPacked = new Set(
        lines.filter((l) => l.topic === 'wms.fulfillment.events' && (l.value as { event_type?: string } | null)?.event_type === 'PACKED').map((l) => (l.value as { event_id: string }).event_id),
      ).size;
      expect(packedRows.map((r) => [r.config_version, Number(r.n)])).toEqual([[liveVersion, distinctPacked]]);
      // The dead letters themselves stay as they were written.
      expect(await rows(c, `SELECT id FROM ${env.database}.dead_letters FINAL`)).toHaveLength(packed);
    });
  });
});
