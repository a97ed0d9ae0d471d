import { afterEach, describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../helpers/kafka-env.js';
import { schemaRegistryUrl } from '../../helpers/registry-env.js';
import { useTestKafka } from '../../helpers/kafka-client.js';
import { waitFor } from '../../helpers/kafka-topics.js';
import { groupLag, prepareKafkaScenario, spawnWorker, stopWorker, waitUntilDrained } from '../../helpers/pipeline-run.js';
import { expectExactWorkerResult } from '../../helpers/golden-table.js';
import { getJson, pollUntilStatus, readWorkerLog, workerHttp, workerReaper } from '../../helpers/worker-http.js';

/**
 * The issue asks for `/health` within 1 s of the process starting. Node plus tsx take 1.2–2.7 s here
 * to load orderlake's modules, so `bin/orderlake.js` answers `/health` from a plain-JavaScript
 * listener first (measured 0.15 s after spawn) and hands the port to the API once it is up; the
 * API's own start-up, from its first log line to listening, is held to the same second.
 */
const HEALTH_AFTER_SPAWN_MS = 1000;
const LISTEN_AFTER_FIRST_LOG_MS = 1000;
/** Kafka's consumer session timeout (kafkajs and librdkafka settings): what a crash costs a restart. */
const SESSION_TIMEOUT_MS = 30_000;

/**
 * An operator's restarts of a Kafka-mode worker. After SIGKILL the API answers at once, `/ready`
 * names what start-up waits for, and a lookup of a stored order is answered from ClickHouse while
 * the consumer groups still wait out the dead member's session; after SIGTERM (the member left its
 * groups) the next worker gets the partitions in moments. The golden table stays exact throughout.
 */
describe.each(['kafkajs', 'rdkafka'] as const)('Kafka worker restarts as an operator sees them (worker on %s)', (kafkaClient) => {
  const k = useTestKafka();
  const workers = workerReaper();
  afterEach(() => workers.killAll());

  it('answers at once after SIGKILL, joins in moments after SIGTERM, and keeps the golden table exact', async () => {
    const { topics, expected, malformed, env, dataDir } = await prepareKafkaScenario(k.kafka, k.admin, {
      brokers: kafkaBrokers(),
      registryUrl: schemaRegistryUrl(),
      seed: 1414,
      startTime: Date.UTC(2026, 10, 22),
      malformedCount: 4,
      kafkaClient,
    });
    const eventsTopic = `${env.topicPrefix}events`;
    const groups = { merge: `${env.groupId}.merge`, link: `${env.groupId}.link`, ingest: `${env.groupId}.ingest` };
    const tag = `[restart-availability ${kafkaClient}]`;

    // 1. A worker mid-stream, with orders already stored in ClickHouse, killed without a goodbye.
    const http = await workerHttp();
    const first = workers.track(await spawnWorker(env, 'worker-killed', http.env));
    await waitFor(
      async () => {
        if (first.child.exitCode !== null) throw new Error(`worker exited early; see ${first.logFile}`);
        const mergeCommitted = await k.admin.fetchOffsets({ groupId: groups.merge, topics: [eventsTopic] }).catch(() => []);
        return mergeCommitted.some((t) => t.partitions.some((p) => Number(p.offset) > 0));
      },
      { timeoutMs: 240_000, intervalMs: 50, describe: 'the first worker to commit part of the stream' },
    );
    // Search reads ClickHouse only: these orders are stored, whoever holds them in memory.
    const stored = await waitFor(
      async () => {
        const res = await getJson(http, '/orders?limit=20', true);
        return res?.status === 200 && res.body.orders.length > 0 ? (res.body.orders as Array<{ order_id: string }>) : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, describe: 'orders stored in ClickHouse' },
    );
    const lagAtKill = await groupLag(k.admin, groups.ingest, Object.values(topics));
    await stopWorker(first, 'SIGKILL');
    console.log(`${tag} first worker killed; ${lagAtKill} source messages unconsumed, ${stored.length} stored orders to look up`);

    // 2. The restarted worker: live at once, ready later, and saying why not meanwhile.
    const spawnedAt = performance.now();
    const second = workers.track(await spawnWorker(env, 'worker-restarted', http.env));
    const health = await pollUntilStatus(http, second, '/health', 200, { since: spawnedAt, timeoutMs: HEALTH_AFTER_SPAWN_MS });
    expect(health.body).toEqual({ status: 'ok' });
    // The API itself takes the port over moments later.
    const log = await waitFor(
      async () => {
        const lines = await readWorkerLog(second);
        return lines.some((l) => l.msg === 'HTTP API listening') ? lines : null;
      },
      { timeoutMs: 30_000, intervalMs: 20, describe: 'the "HTTP API listening" line' },
    );
    const listening = log.find((l) => l.msg === 'HTTP API listening');
    const ownStartupMs = listening!.time - log[0]!.time;
    console.log(`${tag} /health answered ${Math.round(health.ms)} ms after spawn (API listening ${listening!.startupMs} ms after process start, ${ownStartupMs} ms after the first log line)`);
    expect(ownStartupMs).toBeLessThan(LISTEN_AFTER_FIRST_LOG_MS);

    // `/ready` is 503 and names each thing it waits for, down to the group being joined.
    const waiting = await waitFor(
      async () => {
        const res = await getJson(http, '/ready');
        if (res === null) return null;
        expect(res.status).toBe(503);
        expect(res.body.ready).toBe(false);
        for (const value of Object.values(res.body.checks as Record<string, unknown>)) expect(value === true || (typeof value === 'string' && value.length > 0)).toBe(true);
        return res.body.checks.merge === `joining group ${groups.merge}` ? (res.body.checks as Record<string, unknown>) : null;
      },
      { timeoutMs: 20_000, intervalMs: 20, describe: `/ready to say it is joining ${groups.merge}` },
    );
    expect(waiting).toMatchObject({
      kafka: true,
      merge: `joining group ${groups.merge}`,
      state_rebuilt: `waiting for partitions of ${eventsTopic} from group ${groups.merge}`,
      clickhouse: true,
    });
    console.log(`${tag} /ready while joining: ${JSON.stringify(waiting)}`);

    // A lookup of a stored order, before the groups have joined: from ClickHouse, without waiting on Kafka.
    // (Orders the CRM deletes later in the stream may already be known deleted from the golden
    // changelog, which the worker reads while it joins: look up orders that stay live.)
    const live = stored.filter((o) => expected.has(o.order_id));
    expect(live.length).toBeGreaterThan(0);
    for (const { order_id: orderId } of live.slice(0, 5)) {
      const asked = performance.now();
      const res = await getJson(http, `/orders/${encodeURIComponent(orderId)}`, true);
      const lookupMs = performance.now() - asked;
      expect(res?.status, orderId).toBe(200);
      expect(res!.body.order_id).toBe(orderId);
      expect(lookupMs).toBeLessThan(5000);
    }
    const stillJoining = await getJson(http, '/ready');
    expect(stillJoining?.body.checks.merge, 'the lookups were answered before the merge group joined').toBe(`joining group ${groups.merge}`);

    const ready = await pollUntilStatus(http, second, '/ready', 200, { since: spawnedAt, timeoutMs: 120_000, intervalMs: 200 });
    console.log(`${tag} ready ${Math.round(ready.ms)} ms after the restart following SIGKILL (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    await waitUntilDrained(k.admin, env, Object.values(topics), second, 240_000);

    // 3. A planned restart: SIGTERM, the member leaves its groups, the next one takes over at once.
    const termAt = performance.now();
    expect(await stopWorker(second, 'SIGTERM')).toBe(0);
    const stopMs = performance.now() - termAt;
    const respawnedAt = performance.now();
    const third = workers.track(await spawnWorker(env, 'worker-after-sigterm', http.env));
    const readyAgain = await pollUntilStatus(http, third, '/ready', 200, { since: respawnedAt, timeoutMs: 120_000, intervalMs: 100 });
    const joins = (await readWorkerLog(third)).filter((l) => l.msg === 'consumer group joined');
    console.log(
      `${tag} SIGTERM: old worker gone in ${Math.round(stopMs)} ms; new one ready ${Math.round(readyAgain.ms)} ms after spawn; joins ${joins.map((j) => `${j.stage} ${j.ms} ms`).join(', ')}`,
    );
    expect(joins.map((j) => j.group).sort()).toEqual(Object.values(groups).sort());
    // Each group rebalanced without waiting for the old member's session to time out.
    for (const j of joins) expect(j.ms, `${j.group} joined after ${j.ms} ms`).toBeLessThan(SESSION_TIMEOUT_MS / 3);
    expect(await stopWorker(third, 'SIGTERM')).toBe(0);

    // Routine start-up and restarts log no errors.
    for (const worker of [second, third]) {
      const errors = (await readWorkerLog(worker)).filter((l) => l.level >= 50);
      expect(errors, `error lines in ${worker.logFile}`).toEqual([]);
    }

    await expectExactWorkerResult({ dataDir, database: env.database, expected, malformed });
  });
});
