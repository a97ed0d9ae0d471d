import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createAvroEncoder, createHttpSchemaRegistry, loadSchemas } from '../../src/codecs/index.js';
import { generateScenario, type ReplayLine } from '../../src/simulator/index.js';
import { startKafkaBroker, type KafkaBroker } from '../setup/kafka-broker.js';
import { startChdbHttpProcess, type ChdbHttpProcess } from '../setup/chdb-http-process.js';
import { ensureApicurioRegistry, startApicurioRegistry, type ApicurioRegistry } from '../setup/apicurio-registry.js';
import { testProducer } from '../helpers/kafka-client.js';
import { randomName } from '../helpers/kafka-topics.js';
import {
  createSourceTopics,
  encodeLines,
  groupLag,
  malformedMessages,
  newWorkerEnv,
  pipelinesWithTopicPrefix,
  pureMerge,
  REPO_ROOT,
  spawnWorker,
  stripVolatile,
  topicEndOffsetSum,
  type Malformed,
  type WorkerEnv,
  type WorkerProcess,
} from '../helpers/pipeline-run.js';
import { readDeadLetters, readGoldenTable } from '../helpers/golden-table.js';
import { readGoldenChangelog } from '../helpers/golden-changelog.js';

/**
 * The chaos run: several `orderlake start` worker processes in one consumer group, on a Kafka
 * broker and a ClickHouse (chDB behind ClickHouse's HTTP interface, test/setup/chdb-http-server.ts)
 * of their own, while a producer streams a scenario with malformed messages at a steady rate and
 * the run injects faults: SIGKILL of a random worker (restarted moments later), a broker restart,
 * and a ClickHouse outage (the server process stopped: every sink call is refused). Then it waits
 * for the workers to drain, stops them with SIGTERM, and checks the result against the pure merge
 * of the produced events. `npm run chaos` runs the long version (test/chaos/main.ts); the short
 * one runs in `npm test` (test/integration/chaos/chaos-short.test.ts).
 */
export interface ChaosOptions {
  /** Orders of the simulated scenario (about 15 events each, ~10 % re-delivered). */
  orders: number;
  workers: number;
  kills: number;
  brokerRestarts: number;
  /** How long ClickHouse is down in the sink fault, ms; 0: no sink fault. */
  sinkOutageMs: number;
  /** Produce rate, events per second. */
  rate: number;
  /** Malformed messages spread through the stream. */
  badInputs: number;
  seed: number;
  kafkaClient: 'kafkajs' | 'rdkafka';
  /** Pause between the end of one fault's recovery and the next fault, ms. */
  faultGapMs: number;
  /** Where the broker, ClickHouse and worker logs go. Default: a new temp dir. */
  workDir?: string;
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: 'kill' | 'broker-restart' | 'sink-outage';
  at: number;
  /** How long the fault lasted (worker down, broker down, ClickHouse down), ms. */
  downMs: number;
  /** From the end of the fault until every merge partition moved past where it stood when it hit (or had caught up), ms. */
  recoverMs: number;
  detail: string;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  workDir: string;
  faults: FaultRecord[];
  badInputsByKind: Record<string, number>;
  eventsProduced: number;
  messagesProduced: number;
  /** Distinct events stored in the lake, and rows (after collapsing re-deliveries); the expected count. */
  lake: { rows: number; distinct: number; expected: number };
  goldenChecked: number;
  mismatches: number;
  mismatchExamples: string[];
  deadLetters: number;
  deadLettersWrong: string[];
  changelog: ChangelogTally;
  peakRssMb: number;
  /** Highest RSS of any worker while ClickHouse was down, and its RSS just before, MiB. */
  outageRssMb: { before: number; peak: number } | null;
  /** Merge offsets committed while ClickHouse was down (after a grace for batches already written). */
  committedDuringOutage: number | null;
  shutdownMs: number[];
  shutdownCodes: Array<number | null>;
  elapsedMs: number;
}

interface Encoded {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
}

/** Resident set size of a process, MiB (0 once it is gone). */
async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Committed offsets of a group, by partition; retried while the broker or the group coordinator is moving. */
async function committedByPartition(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(500);
    }
  }
}

async function endsByPartition(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = performance.now();
  const workDir = options.workDir ?? (await mkdtemp(path.join(tmpdir(), 'orderlake-chaos-')));
  await mkdir(workDir, { recursive: true });
  const cleanups: Array<() => Promise<unknown>> = [];
  const workers: Array<WorkerProcess | null> = [];
  let broker: KafkaBroker | undefined;
  let registry: ApicurioRegistry | undefined;
  let clickhouse: ChdbHttpProcess | undefined;
  try {
    // 1. The parts, all of the run's own: a broker that may restart, a registry, a ClickHouse that may go away.
    broker = await startKafkaBroker({ logFile: path.join(workDir, 'broker.log') });
    cleanups.push(() => broker!.stop());
    const install = await ensureApicurioRegistry();
    registry = await startApicurioRegistry({ java: install.java, logFile: path.join(workDir, 'registry.log') });
    cleanups.push(() => registry!.stop());
    clickhouse = await startChdbHttpProcess({ dataPath: path.join(workDir, 'clickhouse'), logFile: path.join(workDir, 'clickhouse.log') });
    cleanups.push(() => clickhouse!.stop());
    const kafka = new Kafka({ clientId: randomName('chaos'), brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 5000 } });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    log(`[chaos] work dir ${workDir}; broker ${broker.brokers}; ClickHouse ${clickhouse.url}`);

    // 2. The scenario, its pure merge, and every message encoded up front.
    const { dir: pipelinesDir, topics } = await pipelinesWithTopicPrefix(`${randomName('src')}.`);
    await createSourceTopics(admin, topics, 4);
    const lines = generateScenario({ seed: options.seed, orders: options.orders, startTime: Date.UTC(2026, 10, 24), duplicateRate: 0.1, shuffle: 'full', wmsV1Share: 0.5 });
    const bad = malformedMessages(topics, options.badInputs);
    const { views: expected, eventIds } = await pureMerge(lines);
    const encoder = createAvroEncoder({ registry: createHttpSchemaRegistry({ url: registry.url }), schemas: await loadSchemas(path.join(REPO_ROOT, 'schemas')) });
    const messages: Encoded[] = await encodeLines(encoder, lines, topics);
    bad.forEach((m: Malformed, i) => {
      messages.splice(Math.floor(((i + 1) * messages.length) / (bad.length + 1)), 0, { topic: m.topic, key: Buffer.from(m.key), value: m.value });
    });
    const badInputsByKind: Record<string, number> = {};
    for (const m of bad) badInputsByKind[m.expectedCode] = (badInputsByKind[m.expectedCode] ?? 0) + 1;
    log(`[chaos] ${lines.length} events of ${options.orders} orders and ${bad.length} malformed messages; ${expected.size} golden views expected`);

    // 3. The workers: one group, one ClickHouse, a short session so a killed member's partitions move in seconds.
    const base = newWorkerEnv([broker.brokers], registry.url, pipelinesDir, workDir);
    const envOf = (i: number): WorkerEnv => ({ ...base, dataDir: path.join(workDir, `worker-${i}`), kafkaClient: options.kafkaClient });
    const extraEnv = {
      CLICKHOUSE_URL: clickhouse.url,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      // Closed orders go to sleep at once, so late events wake orders from ClickHouse across kills and takeovers.
      ORDERLAKE_DORMANT_AFTER_MS: '1',
    };
    const spawns = new Array<number>(options.workers).fill(0);
    const spawnOne = async (i: number) => {
      spawns[i]! += 1;
      workers[i] = await spawnWorker(envOf(i), `worker-${i}-run-${spawns[i]}`, extraEnv);
    };
    for (let i = 0; i < options.workers; i++) await spawnOne(i);
    const eventsTopic = `${base.topicPrefix}events`;
    const mergeGroup = `${base.groupId}.merge`;

    // Peak memory of the workers, sampled throughout.
    let peakRssMb = 0;
    let sampling = true;
    let outageSampler = null as ((mb: number) => void) | null;
    const sampler = (async () => {
      while (sampling) {
        const sizes = await Promise.all(workers.map((w) => rssMb(w?.child.pid)));
        const top = Math.max(0, ...sizes);
        peakRssMb = Math.max(peakRssMb, top);
        outageSampler?.(top);
        await sleep(250);
      }
    })();

    // 4. The producer: the stream at a steady rate, riding out the broker restart (idempotent, retried).
    const producer = testProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let produced = 0;
    const producing = (async () => {
      const chunk = Math.max(1, Math.round(options.rate / 10));
      const startedAt = performance.now();
      for (let i = 0; i < messages.length; i += chunk) {
        const slice = messages.slice(i, i + chunk);
        const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer | null }>>();
        for (const m of slice) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
        for (;;) {
          try {
            await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
            break;
          } catch (err) {
            log(`[chaos] produce failed (${(err as Error).message}); retrying`);
            await sleep(500);
          }
        }
        produced += slice.length;
        const due = startedAt + ((i + chunk) / options.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
    })();

    // Recovery: every merge partition moved past its committed offset at the fault's start, or caught up.
    const recovered = async (before: Map<number, number>, since: number): Promise<number> => {
      for (;;) {
        const committed = await committedByPartition(admin, mergeGroup, eventsTopic).catch(() => null);
        const ends = await endsByPartition(admin, eventsTopic).catch(() => null);
        if (committed !== null && ends !== null) {
          const done = [...ends].every(([p, end]) => (committed.get(p) ?? -1) > (before.get(p) ?? -1) || (committed.get(p) ?? -1) >= end);
          if (done) return Math.round(performance.now() - since);
        }
        if (performance.now() - since > 300_000) throw new Error(`no recovery within 300 s; see the logs in ${workDir}`);
        await sleep(200);
      }
    };

    // 5. The faults, in a seeded order, one at a time, each after the previous one has recovered.
    let rng = options.seed >>> 0 || 1;
    const random = () => ((rng = (Math.imul(rng, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
    const plan: Array<FaultRecord['kind']> = [
      ...new Array<FaultRecord['kind']>(options.kills).fill('kill'),
      ...new Array<FaultRecord['kind']>(options.brokerRestarts).fill('broker-restart'),
      ...(options.sinkOutageMs > 0 ? (['sink-outage'] as const) : []),
    ];
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const faults: FaultRecord[] = [];
    let outageRssMb: ChaosReport['outageRssMb'] = null;
    let committedDuringOutage: number | null = null;
    // Wait until the workers are mid-stream before the first fault.
    while ((await committedByPartition(admin, mergeGroup, eventsTopic).catch(() => new Map())).size === 0) await sleep(200);
    for (const kind of plan) {
      await sleep(options.faultGapMs);
      const before = await committedByPartition(admin, mergeGroup, eventsTopic);
      const at = Math.round(performance.now() - started);
      if (kind === 'kill') {
        const i = Math.floor(random() * options.workers);
        const victim = workers[i]!;
        const downFrom = performance.now();
        victim.child.kill('SIGKILL');
        await victim.exited;
        await sleep(500 + Math.floor(random() * 2500));
        await spawnOne(i);
        const downMs = Math.round(performance.now() - downFrom);
        const recoverMs = await recovered(before, performance.now());
        faults.push({ kind, at, downMs, recoverMs, detail: `worker-${i} (pid ${victim.child.pid})` });
      } else if (kind === 'broker-restart') {
        const { downMs } = await broker.restart({ whileDown: () => sleep(5000) });
        // Nothing commits while the broker is down: recovered once every partition moves again.
        const recoverMs = await recovered(await committedByPartition(admin, mergeGroup, eventsTopic), performance.now());
        faults.push({ kind, at, downMs, recoverMs, detail: 'SIGTERM, 5 s down, same port and data' });
      } else {
        const rssBefore = Math.max(0, ...(await Promise.all(workers.map((w) => rssMb(w?.child.pid)))));
        let rssPeak = rssBefore;
        const downFrom = performance.now();
        await clickhouse.stop('SIGKILL');
        outageSampler = (mb) => {
          rssPeak = Math.max(rssPeak, mb);
        };
        // Batches whose rows were stored before the outage may still commit for a few seconds.
        await sleep(Math.min(5000, options.sinkOutageMs / 2));
        const atGrace = await committedByPartition(admin, mergeGroup, eventsTopic);
        await sleep(options.sinkOutageMs - Math.min(5000, options.sinkOutageMs / 2));
        const atEnd = await committedByPartition(admin, mergeGroup, eventsTopic);
        committedDuringOutage = [...atEnd].reduce((n, [p, o]) => n + Math.max(0, o - (atGrace.get(p) ?? 0)), 0);
        await clickhouse.start();
        outageSampler = null;
        const downMs = Math.round(performance.now() - downFrom);
        outageRssMb = { before: Math.round(rssBefore), peak: Math.round(rssPeak) };
        // Recovered once every partition commits past where it stood while ClickHouse was down.
        const recoverMs = await recovered(atEnd, performance.now());
        faults.push({ kind, at, downMs, recoverMs, detail: `ClickHouse process killed; RSS ${Math.round(rssBefore)} → peak ${Math.round(rssPeak)} MiB; ${committedDuringOutage} offsets committed while down` });
      }
      const last = faults[faults.length - 1]!;
      log(`[chaos] ${last.kind} at ${(last.at / 1000).toFixed(1)} s: ${last.detail}; down ${last.downMs} ms, recovered in ${last.recoverMs} ms`);
    }
    await producing;
    await producer.disconnect();
    log(`[chaos] all ${produced} messages produced; waiting for the workers to drain`);

    // 6. Drained: the ingest and merge groups have committed everything and the events topic is quiet.
    const sourceTopics = Object.values(topics);
    let previous = -1;
    let stable = 0;
    const drainFrom = performance.now();
    while (stable < 3) {
      for (const [i, w] of workers.entries()) {
        if (w !== null && w.child.exitCode !== null) throw new Error(`worker-${i} exited with ${w.child.exitCode}; see ${w.logFile}`);
      }
      const ingestLag = await groupLag(admin, `${base.groupId}.ingest`, sourceTopics);
      const mergeLag = await groupLag(admin, mergeGroup, [eventsTopic]).catch(() => Number.MAX_SAFE_INTEGER);
      const end = await topicEndOffsetSum(admin, eventsTopic);
      stable = ingestLag === 0 && mergeLag === 0 && end === previous && end > 0 ? stable + 1 : 0;
      previous = end;
      if (performance.now() - drainFrom > 600_000) throw new Error(`the workers did not drain in 600 s (ingest lag ${ingestLag}, merge lag ${mergeLag}); see ${workDir}`);
      await sleep(500);
    }

    // 7. A planned stop of every worker (SIGTERM), timed.
    const shutdownMs: number[] = [];
    const shutdownCodes: Array<number | null> = [];
    await Promise.all(
      workers.map(async (w) => {
        const from = performance.now();
        w!.child.kill('SIGTERM');
        const code = await w!.exited;
        shutdownMs.push(Math.round(performance.now() - from));
        shutdownCodes.push(code);
      }),
    );
    sampling = false;
    await sampler;

    // 8. The checks, read from the shared ClickHouse.
    const client: ClickHouseClient = createClient({ url: clickhouse.url });
    try {
      const golden = await readGoldenTable(client, base.database);
      const mismatchExamples: string[] = [];
      let mismatches = 0;
      for (const [orderId, view] of expected) {
        const stored = golden.get(orderId);
        const same = stored !== undefined && JSON.stringify(sortKeys(stripVolatile(stored))) === JSON.stringify(sortKeys(view));
        if (!same) {
          mismatches++;
          if (mismatchExamples.length < 5) mismatchExamples.push(`${orderId}: ${stored === undefined ? 'missing' : 'differs'}`);
        }
      }
      for (const orderId of golden.keys()) {
        if (!expected.has(orderId)) {
          mismatches++;
          if (mismatchExamples.length < 5) mismatchExamples.push(`${orderId}: not in the pure merge`);
        }
      }
      const lakeRows = (await (
        await client.query({ query: `SELECT count() AS rows, uniqExact(order_id, event_uid) AS distinct FROM ${base.database}.lake_events FINAL WHERE order_id != ''`, format: 'JSONEachRow' })
      ).json()) as Array<{ rows: string; distinct: string }>;
      const lake = { rows: Number(lakeRows[0]!.rows), distinct: Number(lakeRows[0]!.distinct), expected: eventIds.size };
      const dead = await readDeadLetters(client, base.database);
      const badByKey = new Map(bad.map((m) => [m.key, m.expectedCode]));
      const deadKeys = new Set<string>();
      const deadLettersWrong: string[] = [];
      for (const d of dead) {
        if (d.stage === 'merge' || d.stage === 'link') deadLettersWrong.push(`${d.stage} dead letter ${d.code} on ${d.topic}`);
        else if (badByKey.get(d.key) !== d.code) deadLettersWrong.push(`unexpected dead letter ${d.code} for key ${d.key}`);
        else deadKeys.add(d.key);
      }
      for (const m of bad) if (!deadKeys.has(m.key)) deadLettersWrong.push(`no dead letter for ${m.key} (${m.expectedCode})`);
      const changelog = tallyChangelog(await readGoldenChangelog({ kafka, admin, topic: `${base.topicPrefix}golden`, registryUrl: registry.url }), golden);
      return {
        options: { ...options, log: undefined } as Omit<ChaosOptions, 'log'>,
        workDir,
        faults,
        badInputsByKind,
        eventsProduced: lines.length,
        messagesProduced: messages.length,
        lake,
        goldenChecked: expected.size,
        mismatches,
        mismatchExamples,
        deadLetters: deadKeys.size,
        deadLettersWrong,
        changelog,
        peakRssMb: Math.round(peakRssMb),
        outageRssMb,
        committedDuringOutage,
        shutdownMs,
        shutdownCodes,
        elapsedMs: Math.round(performance.now() - started),
      };
    } finally {
      await client.close();
    }
  } finally {
    for (const w of workers) if (w !== null && w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** What the golden changelog topic holds, against the golden table. */
export interface ChangelogTally {
  records: number;
  /** Distinct (order, version) pairs. */
  versions: number;
  /** Records re-sending an (order, version) with the same content: harmless, a reader drops them. */
  duplicates: number;
  /** (order, version) pairs sent with different content (two writers of one order): must be 0. */
  conflicts: number;
  /** Records whose version is below an earlier record's of the same order: must be 0. */
  regressions: number;
  /** Versions below each order's newest that the topic lacks: compacted away by the log cleaner (the topic is compacted), or crash gaps (README). */
  missing: number;
  /** Live orders whose newest changelog version or view differs from the golden table's: must be 0. */
  behindTable: number;
  examples: string[];
}

function tallyChangelog(entries: Awaited<ReturnType<typeof readGoldenChangelog>>, golden: Map<string, Record<string, unknown>>): ChangelogTally {
  const tally: ChangelogTally = { records: entries.length, versions: 0, duplicates: 0, conflicts: 0, regressions: 0, missing: 0, behindTable: 0, examples: [] };
  const byOrder = new Map<string, { last: number; versions: Map<number, string> }>();
  for (const e of entries) {
    const order = byOrder.get(e.key) ?? { last: 0, versions: new Map<number, string>() };
    byOrder.set(e.key, order);
    const content = JSON.stringify(sortKeys({ deleted: e.record.deleted, view: e.record.view }));
    if (e.record.version < order.last) {
      tally.regressions++;
      if (tally.examples.length < 5) tally.examples.push(`${e.key}: v${e.record.version} after v${order.last}`);
    }
    order.last = Math.max(order.last, e.record.version);
    const first = order.versions.get(e.record.version);
    if (first === undefined) order.versions.set(e.record.version, content);
    else if (first === content) tally.duplicates++;
    else {
      tally.conflicts++;
      if (tally.examples.length < 5) tally.examples.push(`${e.key}: v${e.record.version} sent with two different views`);
    }
  }
  for (const order of byOrder.values()) {
    tally.versions += order.versions.size;
    tally.missing += Math.max(...order.versions.keys()) - order.versions.size;
  }
  for (const [orderId, view] of golden) {
    const order = byOrder.get(orderId);
    const version = Number(view.version);
    const newest = order?.versions.get(version);
    if (order === undefined || order.last !== version || newest === undefined || JSON.parse(newest).view === null) {
      tally.behindTable++;
      if (tally.examples.length < 5) tally.examples.push(`${orderId}: table at v${version}, topic at v${order?.last ?? 0}`);
    }
  }
  return tally;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The report as the table the README's Reliability section shows. */
export function formatChaosTable(r: ChaosReport): string {
  const byKind = (kind: FaultRecord['kind']) => r.faults.filter((f) => f.kind === kind);
  const recovery = (kind: FaultRecord['kind']) => {
    const list = byKind(kind).map((f) => f.recoverMs);
    if (list.length === 0) return '—';
    const sorted = [...list].sort((a, b) => a - b);
    return list.length === 1 ? `${(sorted[0]! / 1000).toFixed(1)} s` : `median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s, max ${(sorted[sorted.length - 1]! / 1000).toFixed(1)} s`;
  };
  const rows: Array<[string, string]> = [
    ['workers in the group', `${r.options.workers} (${r.options.kafkaClient}), one ClickHouse`],
    ['faults: worker SIGKILL (restarted)', `${byKind('kill').length}; recovery ${recovery('kill')}`],
    ['faults: broker restart', `${byKind('broker-restart').length}; recovery ${recovery('broker-restart')}`],
    ['faults: ClickHouse down', `${byKind('sink-outage').map((f) => `${(f.downMs / 1000).toFixed(0)} s`).join(', ') || '—'}; recovery ${recovery('sink-outage')}`],
    ['bad inputs by kind', Object.entries(r.badInputsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || '—'],
    ['events produced (messages incl. bad)', `${r.eventsProduced} (${r.messagesProduced})`],
    ['events in the lake (distinct / expected)', `${r.lake.distinct} / ${r.lake.expected}, ${r.lake.rows} rows after collapsing`],
    ['golden views checked against the pure merge', String(r.goldenChecked)],
    ['mismatches', String(r.mismatches)],
    ['dead letters (bad inputs)', `${r.deadLetters} (${Object.values(r.badInputsByKind).reduce((a, b) => a + b, 0)}); wrong: ${r.deadLettersWrong.length}`],
    ['golden changelog', `${r.changelog.records} records, ${r.changelog.versions} versions; ${r.changelog.duplicates} duplicates, ${r.changelog.conflicts} conflicting, ${r.changelog.regressions} out of order, ${r.changelog.missing} missing (compacted away, or crash gaps), ${r.changelog.behindTable} behind the table`],
    ['peak worker memory (RSS)', `${r.peakRssMb} MiB`],
    ['while ClickHouse was down', r.outageRssMb ? `RSS ${r.outageRssMb.before} → ${r.outageRssMb.peak} MiB; merge offsets committed: ${r.committedDuringOutage}` : '—'],
    ['SIGTERM to exit', `${r.shutdownMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} (exit ${r.shutdownCodes.join(', ')})`],
    ['run time', `${(r.elapsedMs / 1000).toFixed(0)} s`],
  ];
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
