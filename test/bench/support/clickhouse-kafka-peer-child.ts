/**
 * The peer of the Kafka benchmark, in a process of its own: ClickHouse's own Kafka table engine,
 * inside chDB, reading the benchmark's source topics (`AvroConfluent`, schemas from the run's
 * registry) into MergeTree tables through materialized views. Reports when every produced
 * message is a row, and the process's CPU time (chDB runs in this process, so that is ClickHouse's
 * CPU). Started by clickhouse-kafka-peer.ts, never by hand; the spec comes in CH_PEER_SPEC.
 */
import { Session } from 'chdb';
import { peerDdl, type PeerResult, type PeerSpec } from './clickhouse-kafka-peer.js';
import { epochNow } from './stats.js';

const spec = JSON.parse(process.env.CH_PEER_SPEC ?? '{}') as PeerSpec;

function send(message: { type: 'result'; result: PeerResult } | { type: 'failed'; message: string }): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, undefined, () => resolve());
  });
}

/** With consumer errors and no new row for this long, the peer gives up, ms. */
const STALL_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function main(): Promise<void> {
  const session = new Session(spec.dataDir);
  const q = (sql: string, format = 'CSV') => session.query(sql, format);
  const engines = q("SELECT name FROM system.table_engines WHERE name = 'Kafka'").trim();
  if (engines === '') {
    await send({ type: 'result', result: { available: false, reason: "no Kafka table engine in this chDB build (system.table_engines has no 'Kafka')" } });
    return;
  }
  const version = q('SELECT version()').trim().replaceAll('"', '');
  const ddl = peerDdl(spec);
  // Consumer errors (a schema the columns cannot take, an unreachable registry) show up here.
  const consumerErrors = () =>
    (
      JSON.parse(
        q(
          `SELECT table, num_messages_read, num_commits, exceptions.text[-1] FROM system.kafka_consumers WHERE database = '${ddl.database}' AND length(exceptions.text) > 0`,
          'JSONCompact',
        ),
      ) as { data: Array<[string, number, number, string]> }
    ).data.map(([table, read, commits, text]) => ({ table, read: Number(read), commits: Number(commits), text: text.split('\n')[0]!.slice(0, 300) }));
  for (const statement of ddl.tables) q(statement);
  const countSql = `SELECT ${ddl.targets.map((t) => `(SELECT count() FROM ${t})`).join(' + ')}`;
  const perTableSql = ddl.targets.map((t) => `SELECT '${t}', count() FROM ${t}`).join(' UNION ALL ');

  // The materialized views start the consumers: the clock starts with the first one.
  const cpuBefore = cpuMs();
  const started = epochNow();
  for (const statement of ddl.views) q(statement);
  let firstRowAt = 0;
  let doneAt = 0;
  let rows = 0;
  const deadline = started + spec.timeoutMs;
  let lastGrowthAt = started;
  let gaveUp: string | undefined;
  while (epochNow() < deadline) {
    const seen = Number(q(countSql).trim());
    const now = epochNow();
    if (seen > rows) lastGrowthAt = now;
    rows = seen;
    if (rows > 0 && firstRowAt === 0) firstRowAt = now;
    if (rows >= spec.expectedRows) {
      doneAt = now;
      break;
    }
    // A consumer that cannot parse its topic retries the same messages for ever: stop early.
    if (now - lastGrowthAt > STALL_MS && consumerErrors().length > 0) {
      gaveUp = `no new rows for ${STALL_MS / 1000} s and the consumers report errors`;
      break;
    }
    await sleep(spec.pollMs);
  }
  const cpuAfter = cpuMs();
  const timedOut = doneAt === 0;
  const end = timedOut ? epochNow() : doneAt;
  const perTable = Object.fromEntries((JSON.parse(q(perTableSql, 'JSONCompact')) as { data: Array<[string, string]> }).data.map(([t, n]) => [t, Number(n)]));
  const cpuSeconds = (cpuAfter - cpuBefore) / 1000;
  const seconds = (end - started) / 1000;
  const afterFirstRow = firstRowAt > 0 ? (end - firstRowAt) / 1000 : Number.NaN;
  await send({
    type: 'result',
    result: {
      available: true,
      clickhouse: version,
      rows,
      expectedRows: spec.expectedRows,
      timedOut,
      ms: Math.round(seconds * 1000),
      firstRowMs: firstRowAt > 0 ? Math.round(firstRowAt - started) : null,
      eventsPerSec: Math.round(rows / seconds),
      eventsPerSecAfterFirstRow: Number.isFinite(afterFirstRow) && afterFirstRow > 0 ? Math.round(rows / afterFirstRow) : null,
      cpuSeconds: Math.round(cpuSeconds * 100) / 100,
      rowsPerCpuSecond: cpuSeconds > 0 ? Math.round(rows / cpuSeconds) : null,
      perTable,
      consumerErrors: consumerErrors(),
      ...(gaveUp ? { gaveUp } : {}),
      settings: ddl.settings,
    },
  });
  // Stop the consumers before the process goes: dropping the views detaches them.
  for (const view of ddl.viewNames) q(`DROP VIEW IF EXISTS ${view}`);
  session.close();
}

main()
  .then(() => process.exit(0))
  .catch(async (err: unknown) => {
    await send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  });
