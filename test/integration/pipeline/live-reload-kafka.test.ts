import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@clickhouse/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas } from '../../../src/codecs/index.js';
import { eventUid } from '../../../src/normalize/index.js';
import { generateScenario } from '../../../src/simulator/index.js';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { testProducer, useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import {
  createSourceTopics,
  encodeLines,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  randomName,
  REPO_ROOT,
  spawnWorker,
  stopWorker,
  stripVolatile,
  waitUntilDrained,
  type WorkerEnv,
  type WorkerProcess,
} from '../../helpers/pipeline-run.js';
import { readGoldenTable } from '../../helpers/golden-table.js';
import { changeWmsMapping, expectGoldenEqualsOracle, mergeWithRecordedVersions, oldAndNewNormalizers, ordersDiffering, WMS_MAPPING_CHANGE } from '../../helpers/live-reload-oracle.js';
import { pollUntilStatus, readWorkerLog, workerHttp, workerReaper, type WorkerHttp } from '../../helpers/worker-http.js';
import { startChdbHttpProcess, type ChdbHttpProcess } from '../../setup/chdb-http-process.js';

/** Messages per produce request, and the pause between requests: a steady load, not one burst. */
const CHUNK = 40;
const PAUSE_MS = 60;
/** The share of the stream produced before the change is waited for. */
const FIRST_PART = 0.45;

/** What `GET /config` answers (the fields this test reads). */
interface ConfigBody {
  version: string;
  since: string;
  source: 'start' | 'files' | 'shared';
  saved_at: string | null;
  response_ms: number | null;
  changed: string[];
  pending: string | null;
  history: Array<{ version: string; status: string; source: string }>;
  published: Array<{ version: string; worker: string; changed: string[] }>;
}

/**
 * Live reload on Kafka, under load: two real `orderlake start` workers in one consumer group on one
 * ClickHouse (chDB behind the HTTP interface, its own process), each with its own copy of the
 * pipelines folder. Mid-stream a status mapping changes in worker A's folder only; A checks it,
 * swaps it in and publishes it to `config_versions`; B, whose files never change, switches by
 * polling that shared log. Each lake row must name the version that normalized its event (the
 * ingest worker's, carried to the merge owner in a Kafka header), no event may be lost or stored
 * twice, everything produced after both switched must be on the new version, and the golden table
 * must equal the pure merge of every event normalized with the version its lake row records.
 */
describe('live reload on Kafka: every worker switches together, under load', () => {
  const k = useTestKafka();
  const workers = workerReaper();
  let clickhouse: ChdbHttpProcess | undefined;
  let workDir: string | undefined;
  afterEach(async () => {
    await workers.killAll();
    await clickhouse?.stop();
    clickhouse = undefined;
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
    workDir = undefined;
  });

  it('switches both workers to a change made on one: no event lost or doubled, every later event on the new version', { timeout: 300_000 }, async () => {
    const testStart = performance.now();
    workDir = await mkdtemp(path.join(tmpdir(), 'orderlake-live-reload-kafka-'));
    clickhouse = await startChdbHttpProcess({ dataPath: path.join(workDir, 'clickhouse'), logFile: path.join(workDir, 'clickhouse.log') });
    const { dir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
    await createSourceTopics(k.admin, topics, 3);
    // Each worker its own copy of the same files (as on two hosts): the same version at start.
    const dirA = path.join(workDir, 'pipelines-a');
    const dirB = path.join(workDir, 'pipelines-b');
    await cp(dir, dirA, { recursive: true });
    await cp(dir, dirB, { recursive: true });
    await rm(dir, { recursive: true, force: true });

    const lines = generateScenario({ seed: 5151, orders: 400, startTime: Date.UTC(2026, 10, 26), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const encoder = createAvroEncoder({ registry: createHttpSchemaRegistry({ url: schemaRegistryUrl() }), schemas: await loadSchemas(path.join(REPO_ROOT, 'schemas')) });
    const messages = await encodeLines(encoder, lines, topics);
    const env = newWorkerEnv(kafkaBrokers(), schemaRegistryUrl(), dirA, workDir);
    const sourceTopics = Object.values(topics);
    const shared = { CLICKHOUSE_URL: clickhouse.url, KAFKA_SESSION_TIMEOUT_MS: '10000' };

    const analystToken = randomName('analyst');
    const start = async (name: string, pipelinesDir: string): Promise<{ worker: WorkerProcess; http: WorkerHttp; env: WorkerEnv }> => {
      const http = await workerHttp();
      const workerEnv = { ...env, pipelinesDir, dataDir: path.join(workDir!, name) };
      const spawnedAt = performance.now();
      const worker = workers.track(await spawnWorker(workerEnv, name, { ...shared, ...http.env, ORDERLAKE_AUTH_TOKENS: `${http.token}:agent,${analystToken}:analyst` }));
      await pollUntilStatus(http, worker, '/ready', 200, { since: spawnedAt, timeoutMs: 180_000, intervalMs: 250 });
      return { worker, http, env: workerEnv };
    };
    const configOf = async (http: WorkerHttp): Promise<ConfigBody> => {
      const res = await fetch(`${http.base}/config`, { headers: { authorization: `Bearer ${analystToken}` }, signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      return (await res.json()) as ConfigBody;
    };
    const a = await start('worker-a', dirA);
    const b = await start('worker-b', dirB);
    const startA = await configOf(a.http);
    const startB = await configOf(b.http);
    const oldVersion = startA.version;
    expect(oldVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(startB.version).toBe(oldVersion);

    const client = createClient({ url: clickhouse.url });
    const producer = testProducer(k.kafka, { idempotent: true, maxInFlightRequests: 1 });
    try {
      // The load: the whole stream at a steady rate; after FIRST_PART it waits until both workers
      // run the new version. `after[i]`: message i was sent once both were known to have switched.
      const after = new Array<boolean>(messages.length).fill(false);
      let bothSwitched = false;
      let releaseSecondPart!: () => void;
      const secondPart = new Promise<void>((resolve) => {
        releaseSecondPart = resolve;
      });
      const firstPartEnd = Math.floor(messages.length * FIRST_PART);
      await producer.connect();
      const producing = (async () => {
        for (let i = 0; i < messages.length; i += CHUNK) {
          if (i >= firstPartEnd) await secondPart;
          const end = Math.min(i + CHUNK, messages.length);
          if (bothSwitched) after.fill(true, i, end);
          const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
          for (const m of messages.slice(i, end)) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
          await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
          await sleep(PAUSE_MS);
        }
      })();
      // Fail at once rather than waiting out a timeout if producing breaks.
      producing.catch(() => releaseSecondPart());

      // Some of the stream merged: change the mapping in worker A's folder only.
      await waitFor(
        async () => {
          for (const { worker } of [a, b]) if (worker.child.exitCode !== null) throw new Error(`worker exited; see ${worker.logFile}`);
          const rs = await client.query({ query: `SELECT count() AS n FROM ${env.database}.lake_events`, format: 'JSONEachRow' });
          return Number(((await rs.json()) as Array<{ n: string | number }>)[0]!.n) > 200;
        },
        { timeoutMs: 120_000, intervalMs: 100, describe: 'part of the stream to be merged' },
      );
      const changedFile = await changeWmsMapping(dirA);
      const savedAt = Math.floor((await stat(changedFile)).mtimeMs);

      // Both workers report the new version: A from its files, B from the shared log.
      const [liveA, liveB] = await waitFor(
        async () => {
          for (const { worker } of [a, b]) if (worker.child.exitCode !== null) throw new Error(`worker exited; see ${worker.logFile}`);
          const [ca, cb] = [await configOf(a.http), await configOf(b.http)];
          return ca.version !== oldVersion && cb.version !== oldVersion ? ([ca, cb] as const) : false;
        },
        { timeoutMs: 30_000, intervalMs: 50, describe: 'both workers to run the changed configuration' },
      );
      bothSwitched = true;
      const producedBeforeSwitch = await producedSoFar();
      releaseSecondPart();
      const newVersion = liveA.version;
      const responseA = Date.parse(liveA.since) - savedAt;
      const responseB = Date.parse(liveB.since) - savedAt;
      // eslint-disable-next-line no-console -- the figures the README quotes
      console.info(
        `live reload on Kafka: file saved → live ${responseA} ms on worker A (its files; response_ms ${liveA.response_ms}), ${responseB} ms on worker B (shared log; response_ms ${liveB.response_ms}); ORDERLAKE_CONFIG_POLL_MS 1000 (the default); ${producedBeforeSwitch} of ${messages.length} messages produced when both had switched`,
      );
      expect(liveA).toMatchObject({ version: newVersion, source: 'files', changed: [`pipelines/${WMS_MAPPING_CHANGE.file}`] });
      expect(liveB).toMatchObject({ version: newVersion, source: 'shared', changed: [`pipelines/${WMS_MAPPING_CHANGE.file}`] });
      expect(liveA.published[0]).toMatchObject({ version: newVersion, worker: expect.stringMatching(new RegExp(`-${a.worker.child.pid}$`)) });
      expect(responseA).toBeGreaterThanOrEqual(0);
      expect(responseA).toBeLessThan(30_000);
      expect(responseB).toBeGreaterThanOrEqual(0);
      expect(responseB).toBeLessThan(30_000);

      await producing;
      await producer.disconnect();
      await waitUntilDrained(k.admin, env, sourceTopics, a.worker, 180_000);
      expect(b.worker.child.exitCode).toBeNull();
      const endA = await configOf(a.http);
      const endB = await configOf(b.http);
      expect(await stopWorker(a.worker)).toBe(0);
      expect(await stopWorker(b.worker)).toBe(0);
      // Where the time went, from the workers' logs (ms after the save).
      const steps = async (worker: WorkerProcess) =>
        (await readWorkerLog(worker))
          .filter((l) => l.version === newVersion && (l.msg === 'configuration change accepted; it goes live at the next batch boundary' || l.msg === 'configuration version live'))
          .map((l) => `${l.msg.startsWith('configuration change accepted') ? 'accepted' : 'live'} +${l.time - savedAt} ms`)
          .join(', ');
      // eslint-disable-next-line no-console -- the figures the README quotes
      console.info(`live reload on Kafka: worker A ${await steps(a.worker)}; worker B ${await steps(b.worker)}`);

      // Both ended on the new version; B's came from the shared log, its own files never changed.
      expect([endA.version, endB.version]).toEqual([newVersion, newVersion]);
      expect(endB.source).toBe('shared');
      expect(endA.history.filter((h) => h.status === 'live').map((h) => h.version)).toEqual([newVersion, oldVersion]);
      expect(endB.history.filter((h) => h.status === 'live').map((h) => [h.version, h.source])).toEqual([
        [newVersion, 'shared'],
        [oldVersion, 'start'],
      ]);
      expect(await readFile(path.join(dirB, WMS_MAPPING_CHANGE.file), 'utf8')).toContain(WMS_MAPPING_CHANGE.from);

      // The lake: every event once (after collapsing re-deliveries), each naming the version that normalized it.
      const raw = Number(((await (await client.query({ query: `SELECT count() AS n FROM ${env.database}.lake_events WHERE order_id != ''`, format: 'JSONEachRow' })).json()) as Array<{ n: string | number }>)[0]!.n);
      const rs = await client.query({
        query: `SELECT order_id, event_uid, kind, config_version FROM ${env.database}.lake_events FINAL WHERE order_id != ''`,
        format: 'JSONEachRow',
      });
      const lake = (await rs.json()) as Array<{ order_id: string; event_uid: string; kind: string; config_version: string }>;
      const distinct = new Set(lake.map((r) => `${r.order_id}\u0000${r.event_uid}`));
      expect(lake.length).toBe(distinct.size);
      const versionsOfUid = new Map<string, Set<string>>();
      for (const r of lake) versionsOfUid.set(r.event_uid, (versionsOfUid.get(r.event_uid) ?? new Set()).add(r.config_version));
      const byVersion = new Map<string, number>();
      for (const r of lake) byVersion.set(r.config_version, (byVersion.get(r.config_version) ?? 0) + 1);
      // eslint-disable-next-line no-console -- what the run did
      console.info(`live reload on Kafka: ${lake.length} lake rows (${raw} before collapsing re-deliveries); by version ${JSON.stringify(Object.fromEntries(byVersion))}`);
      const unversioned = lake.filter((r) => r.config_version !== oldVersion && r.config_version !== newVersion);
      expect(
          unversioned.length,
          `lake rows naming neither ${oldVersion} nor ${newVersion}, by kind: ${JSON.stringify(countBy(unversioned, (r) => `${r.kind}:'${r.config_version}'`))}; e.g. ${JSON.stringify(unversioned.slice(0, 3))}`,
        )
        .toBe(0);
      expect(byVersion.get(oldVersion)).toBeGreaterThan(0);
      expect(byVersion.get(newVersion)).toBeGreaterThan(0);

      // Each line's event identity (the mapping change does not change it), and which were sent after both switched.
      const { oldNormalizer, newNormalizer } = await oldAndNewNormalizers();
      const uidOf = lines.map((line, i) => {
        const event = oldNormalizer.normalize(line.topic, line.value, { topic: line.topic, partition: 0, offset: String(i), timestamp: 0 });
        return event === null ? null : eventUid(event);
      });
      const sentBefore = new Set(uidOf.filter((uid, i) => uid !== null && !after[i]));
      const sentAfterOnly = [...new Set(uidOf.filter((uid, i): uid is string => uid !== null && after[i]!))].filter((uid) => !sentBefore.has(uid));
      // Those with a lake row: an event no order takes (a tracking event never linked) has none, and a
      // lost one is caught below, where the lake must hold exactly the oracle's events.
      const sentAfterStored = sentAfterOnly.filter((uid) => versionsOfUid.has(uid));
      expect(sentAfterStored.length).toBeGreaterThan(0);
      const notNew = sentAfterStored.filter((uid) => [...versionsOfUid.get(uid)!].some((v) => v !== newVersion));
      expect(notNew.length, `events first sent after both workers switched, recorded other than ${newVersion}: ${JSON.stringify(countBy(notNew, (uid) => `${uid.slice(0, uid.indexOf('|'))}:${[...versionsOfUid.get(uid)!].map((v) => `'${v}'`).join('+')}`))}; e.g. ${JSON.stringify(notNew.slice(0, 5).map((uid) => [uid, [...versionsOfUid.get(uid)!]]))}`).toBe(0);

      // The oracle: the pure merge, each event normalized with the version its lake row records.
      const normalizers = new Map([
        [oldVersion, oldNormalizer],
        [newVersion, newNormalizer],
      ]);
      const oracle = mergeWithRecordedVersions(lines, {
        normalizers,
        versionOf: (i) => {
          const uid = uidOf[i] ?? null;
          const recorded = [...((uid === null ? undefined : versionsOfUid.get(uid)) ?? [])];
          expect([uid, recorded.length <= 1]).toEqual([uid, true]);
          if (recorded[0] === oldVersion || recorded[0] === newVersion) return recorded[0];
          // No lake row (nothing to normalize, or no order takes it), or a row naming no version
          // (failed above): only an event both versions normalize alike can be judged.
          const line = lines[i]!;
          const position = { topic: line.topic, partition: 0, offset: String(i), timestamp: 0 };
          expect([uid, oldNormalizer.normalize(line.topic, line.value, position)]).toEqual([uid, newNormalizer.normalize(line.topic, line.value, position)]);
          return oldVersion;
        },
      });
      expect(distinct).toEqual(oracle.eventIds);

      // Golden rows name the version of the batch that produced them: the old or the new, some the new.
      const gv = await client.query({ query: `SELECT config_version, count() AS n FROM ${env.database}.golden_orders FINAL GROUP BY config_version`, format: 'JSONEachRow' });
      const goldenByVersion = new Map(((await gv.json()) as Array<{ config_version: string; n: number | string }>).map((r) => [r.config_version, Number(r.n)]));
      expect([...goldenByVersion.keys()].filter((v) => v !== oldVersion && v !== newVersion), `golden rows by version: ${JSON.stringify(Object.fromEntries(goldenByVersion))}`).toEqual([]);
      expect(goldenByVersion.get(newVersion)).toBeGreaterThan(0);

      const golden = await readGoldenTable(client, env.database);
      // Where the golden table and the oracle part, and whether those orders hold an event delivered
      // both before and after the switch (its two copies normalized by different versions).
      const splitUids = new Set(uidOf.filter((uid, i): uid is string => uid !== null && after[i]! && sentBefore.has(uid)));
      const notAsOracle = [...golden].filter(([id, view]) => !isDeepStrictEqual(stripVolatile(view), JSON.parse(JSON.stringify(oracle.views.get(id) ?? null)))).map(([id]) => id);
      const withSplit = notAsOracle.filter((id) => lake.some((r) => r.order_id === id && splitUids.has(r.event_uid)));
      expect(
          notAsOracle,
          `${notAsOracle.length} of ${golden.size} golden views differ from the pure merge of each event normalized with the version its lake row records; ` +
            `${withSplit.length} of them hold one of the ${splitUids.size} events with copies sent both before and after the switch`,
        )
        .toEqual([]);
      // The change showed: some order's fulfillment went through PICKED where it would have been PACKED.
      const allOld = mergeWithRecordedVersions(lines, { normalizers, versionOf: () => oldVersion });
      const changedInTable = [...golden].filter(([id, view]) => !isDeepStrictEqual(stripVolatile(view), JSON.parse(JSON.stringify(allOld.views.get(id) ?? null)))).length;
      // eslint-disable-next-line no-console -- what the run did
      console.info(
        `live reload on Kafka: golden rows by version ${JSON.stringify(Object.fromEntries(goldenByVersion))}; ${changedInTable} of ${golden.size} golden views differ from the all-old merge (oracle: ${ordersDiffering(golden, oracle.views, allOld.views).length}); ${Math.round((performance.now() - testStart) / 1000)} s`,
      );
      expect(changedInTable).toBeGreaterThan(0);
      expect(ordersDiffering(golden, oracle.views, allOld.views).length).toBeGreaterThan(0);
      expectGoldenEqualsOracle(golden, oracle.views);
    } finally {
      await producer.disconnect().catch(() => undefined);
      await client.close();
    }

    async function producedSoFar(): Promise<number> {
      let n = 0;
      for (const t of sourceTopics) for (const p of await k.admin.fetchTopicOffsets(t)) n += Number(p.high);
      return n;
    }
  });
});

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
