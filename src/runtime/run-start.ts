import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { OrderlakeError } from '../errors.js';
import { earlyHealthHolds, releaseEarlyHealth } from './early-health.js';
import { createEmbeddedRuntime } from './embedded-runtime.js';
import { createKafkaRuntime } from './kafka-runtime.js';
import { createRuntimeApi, type ApiRuntime } from './api.js';
import { createAuthenticator, ensureDemoToken, loadAuthConfig } from '../api/index.js';
import { createTrafficGenerator } from '../simulator/index.js';
import type { GoldenView } from '../golden/index.js';
import type { RawMessage } from '../pipeline/raw-message.js';
import { shutdownSignal } from './shutdown-signal.js';
import { SHUTDOWN_INCOMPLETE_EXIT_CODE, describeLeft, shutdownDeadline, type ShutdownLeft } from './shutdown-deadline.js';
import type { Metrics } from '../metrics.js';

/** Writes one plain, human-readable line (the console URL) next to the JSON logs on stderr. */
export type Announce = (line: string) => void;

const toStderr: Announce = (line) => {
  process.stderr.write(`${line}\n`);
};

/**
 * Why the API cannot listen, as a one-line error naming the variable to change; other errors are
 * returned unchanged.
 */
function listenFailure(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new OrderlakeError(
      'OL_ERR_CONFIG_INVALID',
      `cannot listen on ${where}: the port is already in use (another orderlake?); set ORDERLAKE_HTTP_PORT to a free port (0 picks one)`,
      { cause: err },
    );
  }
  if (code === 'EACCES') {
    return new OrderlakeError(
      'OL_ERR_CONFIG_INVALID',
      `cannot listen on ${where}: permission denied (ports below 1024 need privileges); set ORDERLAKE_HTTP_PORT to a port above 1023`,
      { cause: err },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new OrderlakeError(
      'OL_ERR_CONFIG_INVALID',
      `cannot listen on ${where}: ${host} is not an address of this machine; set ORDERLAKE_HTTP_HOST (default 127.0.0.1)`,
      { cause: err },
    );
  }
  return err;
}

/**
 * Checks that the API can listen before anything heavy starts (migrations, state rebuild, Kafka
 * workers), so a port in use fails in a second with the variable to change, not after start-up.
 * Port 0 always works. The port is released at once; the API binds it again moments later.
 */
export async function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(listenFailure(err, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * An order worth opening first: its CRM row is in (channel, customer, payment), it has shipped,
 * and nothing is wrong with it, so the console shows every part of a golden view.
 */
export function isShowcaseOrder(view: GoldenView): boolean {
  return (
    view.channel !== null &&
    view.customer !== null &&
    view.payment?.status === 'PAID' &&
    view.lines.length > 0 &&
    view.fulfillments.length > 0 &&
    view.shipments.length > 0 &&
    view.exceptions.length === 0 &&
    view.cancelled_at === null
  );
}

interface RunningApi {
  app: FastifyInstance;
  address: string;
  close(): Promise<void>;
}

/**
 * Builds (`createRuntimeApi`) and starts the HTTP/WebSocket API for either mode.
 * With no credential configured, a random admin token is made for this run and printed once, in
 * the console URL (`announce`), so the demo works out of the box without leaving the API open.
 * The token never goes into the JSON logs, which are often shipped elsewhere.
 */
async function startApi(config: Config, logger: Logger, announce: Announce, runtime: ApiRuntime, dataPath: string): Promise<RunningApi> {
  const { config: authConfig, demoToken } = ensureDemoToken(
    await loadAuthConfig({
      ...(config.ORDERLAKE_AUTH_FILE !== undefined ? { file: config.ORDERLAKE_AUTH_FILE } : {}),
      tokens: config.ORDERLAKE_AUTH_TOKENS,
      ...(config.ORDERLAKE_JWT_SECRET !== undefined ? { jwtSecret: config.ORDERLAKE_JWT_SECRET } : {}),
    }),
  );
  const app = await createRuntimeApi(config, logger, runtime, { dataPath, auth: createAuthenticator(authConfig) });
  let address: string;
  try {
    // The early listener answered /health until now; the API binds its port a moment later.
    await releaseEarlyHealth();
    address = await app.listen({ host: config.ORDERLAKE_HTTP_HOST, port: config.ORDERLAKE_HTTP_PORT });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw listenFailure(err, config.ORDERLAKE_HTTP_HOST, config.ORDERLAKE_HTTP_PORT);
  }
  // startupMs: since the process started, module loading included (what a liveness probe waits).
  logger.info({ address, docs: `${address}/docs`, startupMs: Math.round(performance.now()) }, 'HTTP API listening');
  const consoleUrl = demoToken === null ? `${address}/` : `${address}/#token=${demoToken}`;
  if (demoToken !== null) {
    logger.warn(
      `no API credentials configured (ORDERLAKE_AUTH_FILE, ORDERLAKE_AUTH_TOKENS, ORDERLAKE_JWT_SECRET): generated an admin token for this run; it is in the "Console:" line (after #token=), and API clients send it as "Authorization: Bearer <token>"`,
    );
    announce(`Console: ${consoleUrl}`);
  } else {
    announce(`Console: ${consoleUrl} (sign in with a token from ORDERLAKE_AUTH_FILE, ORDERLAKE_AUTH_TOKENS or a JWT)`);
  }
  return {
    app,
    address,
    close: () => app.close(),
  };
}

/** {@link startApi}; when it fails, the runtime is closed before the error goes on. */
async function startApiOrClose(
  config: Config,
  logger: Logger,
  announce: Announce,
  runtime: ApiRuntime & { close(): Promise<void> },
  dataPath: string,
): Promise<RunningApi> {
  try {
    return await startApi(config, logger, announce, runtime, dataPath);
  } catch (err) {
    await runtime.close().catch(() => undefined);
    throw err;
  }
}

/** `orderlake start`: the pipeline and its API, embedded by default, Kafka workers with KAFKA_BROKERS. */
export async function runStart(config: Config, logger: Logger, announce: Announce = toStderr): Promise<number> {
  const dataPath = path.join(config.paths.data, 'lake');
  const database = config.CLICKHOUSE_DATABASE;
  // The early listener holding the address proves it free; otherwise probe it before anything heavy.
  if (!(await earlyHealthHolds(config.ORDERLAKE_HTTP_HOST, config.ORDERLAKE_HTTP_PORT))) {
    await releaseEarlyHealth();
    await assertCanListen(config.ORDERLAKE_HTTP_HOST, config.ORDERLAKE_HTTP_PORT);
  }
  const shutdown = shutdownSignal(logger, undefined, { timeoutMs: config.ORDERLAKE_SHUTDOWN_TIMEOUT_MS });
  // From the first signal, the orderly stop has ORDERLAKE_SHUTDOWN_TIMEOUT_MS; then the process
  // says what is left and exits (75). A second signal still exits at once (shutdownSignal).
  const deadline = shutdownDeadline({ logger, timeoutMs: config.ORDERLAKE_SHUTDOWN_TIMEOUT_MS, exit: (code) => process.exit(code) });
  void shutdown.stopped.then(() => deadline.arm());
  const options = { dataPath, database, stopped: shutdown.stopped, setLeft: deadline.setLeft };
  try {
    return config.mode === 'kafka' ? await runKafkaWorker(config, logger, announce, options) : await runEmbedded(config, logger, announce, options);
  } finally {
    deadline.cancel();
    shutdown.dispose();
    // A start-up that failed before the API listened must not leave the early listener holding the process.
    await releaseEarlyHealth();
  }
}

interface RunOptions {
  dataPath: string;
  database: string;
  stopped: Promise<NodeJS.Signals>;
  /** Tells the shutdown deadline how to find out what a stop left undone. */
  setLeft(left: () => Promise<ShutdownLeft>): void;
}

/** Batches handed off and not acknowledged, by stage (`orderlake_unacknowledged_batches`). */
async function unacknowledgedByStage(metrics: Pick<Metrics, 'unacknowledgedBatches'>): Promise<Record<string, number>> {
  const byStage: Record<string, number> = {};
  for (const v of (await metrics.unacknowledgedBatches.get()).values) byStage[String(v.labels.stage)] = v.value;
  return byStage;
}

/**
 * Closes the runtime once stopped. A close that fails (its last flush cannot reach ClickHouse) is
 * logged at error with what it left, and gives {@link SHUTDOWN_INCOMPLETE_EXIT_CODE}: nothing of it
 * was committed, the next worker reads it again.
 */
async function closeRuntime(runtime: { close(): Promise<void> }, left: () => Promise<ShutdownLeft>, logger: Logger): Promise<number> {
  try {
    await runtime.close();
    return 0;
  } catch (err) {
    const what = await left().catch(() => null);
    logger.error({ err, code: 'OL_ERR_SHUTDOWN_INCOMPLETE', ...(what ?? {}) }, `the orderly shutdown could not store everything: ${what ? describeLeft(what) : String(err)}; exiting with ${SHUTDOWN_INCOMPLETE_EXIT_CODE}`);
    return SHUTDOWN_INCOMPLETE_EXIT_CODE;
  }
}

/**
 * Kafka mode. The API listens as soon as the codec and ClickHouse are up, before Kafka is even
 * reached: `/health` answers at once, `/ready` says what start-up waits for, and lookups are
 * answered from ClickHouse (orders not in memory are read there) until the owned state is
 * rebuilt. Only then do the three stages join their consumer groups, concurrently; after a
 * crash each join waits for the dead member's session to time out (30 s), and the API stays up
 * meanwhile. A failed start stops the process (exit 1), so an orchestrator restarts it.
 */
async function runKafkaWorker(config: Config, logger: Logger, announce: Announce, options: RunOptions): Promise<number> {
  const { dataPath, database, stopped } = options;
  const runtime = await createKafkaRuntime(config, logger, { dataPath, database });
  const left = async (): Promise<ShutdownLeft> => ({ bufferedRows: runtime.storage.sink.pendingRows(), unacknowledgedBatches: await unacknowledgedByStage(runtime.metrics) });
  options.setLeft(left);
  const api = await startApiOrClose(config, logger, announce, runtime, dataPath);
  const address = api.address;
  logger.info(
    { api: address, database },
    `orderlake is running on Kafka; look up an order at ${address}/orders/<order_id>; ${address}/ready says what start-up still waits for`,
  );
  const started = runtime.start().then(
    () => ({ started: true as const }),
    (err: unknown) => ({ started: false as const, err }),
  );
  const first = await Promise.race([stopped.then(() => null), started]);
  if (first !== null && !first.started) {
    logger.fatal({ err: first.err }, 'the Kafka workers could not start; stopping');
    await api.close();
    await runtime.close().catch((err: unknown) => logger.warn({ err }, 'closing after a failed start'));
    exitIfStillHeld(logger);
    throw first.err;
  }
  await stopped;
  await api.close();
  const status = await closeRuntime(runtime, left, logger);
  if (status === 0) logger.info('stopped');
  exitIfStillHeld(logger);
  return status;
}

/** How long a stopped worker lets its event loop empty by itself before exiting anyway, ms. */
const EXIT_AFTER_STOP_MS = 2000;

/**
 * kafkajs can keep sockets open past `disconnect`: connections to a group coordinator it re-made
 * during a broker outage (outside the pool it closes), and a JoinGroup abandoned at shutdown. The
 * process would then live on until the broker drops them, minutes later, while an orchestrator
 * waits. Everything is flushed, committed and the groups are left by now, so exit.
 */
function exitIfStillHeld(logger: Logger): void {
  setTimeout(() => {
    logger.info({ open: process.getActiveResourcesInfo() }, 'exiting: a client left connections open after stopping');
    // The status the stop ended with (runStart's caller sets it), 0 when it finished.
    process.exit(process.exitCode ?? 0);
  }, EXIT_AFTER_STOP_MS).unref();
}

/** Embedded mode: every stage in this process, fed by the simulator. */
async function runEmbedded(config: Config, logger: Logger, announce: Announce, options: RunOptions): Promise<number> {
  const { dataPath, database, stopped } = options;

  const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, rebuild: true, defaultMetrics: true, liveReload: config.ORDERLAKE_CONFIG_RELOAD === 'on' });
  const left = async (): Promise<ShutdownLeft> => ({ bufferedRows: runtime.storage.sink.pendingRows(), unacknowledgedBatches: { embedded: runtime.pipeline.unacknowledged } });
  options.setLeft(left);
  const api = await startApiOrClose(config, logger, announce, runtime, dataPath);
  const address = api.address;

  // Order ids carry the start time, so a restart on the same data directory never reuses one.
  const runId = new Date().toISOString().replace(/\D/g, '').slice(2, 12);
  const traffic = createTrafficGenerator({
    seed: config.ORDERLAKE_SIM_SEED,
    orders: config.ORDERLAKE_SIM_ORDERS === 0 ? Number.POSITIVE_INFINITY : config.ORDERLAKE_SIM_ORDERS,
    startTime: Date.now(),
    orderIdPrefix: `SO-${runId}-`,
    ratePerSec: config.ORDERLAKE_SIM_RATE,
  });
  logger.info(
    {
      api: address,
      clickhouse: `chDB at ${dataPath}, database ${database} (tables golden_orders, lake_events, dead_letters)`,
      rate: config.ORDERLAKE_SIM_RATE,
    },
    `orderlake is running (embedded): simulated CRM/WMS/TMS traffic is filling the golden table; open ${address}/ (agent console) or ${address}/metrics`,
  );
  // Point at an order whose view shows every part (CRM row, fulfillments, shipments) as soon as
  // one exists: the first order a newcomer opens must not look broken. Many orders are partial at
  // first (their CRM row arrives later, or never), so the first view in is not good enough.
  const unsubscribe = runtime.feed.subscribe((changes) => {
    const showcase = changes.find((c) => c.view !== null && isShowcaseOrder(c.view));
    if (!showcase) return;
    unsubscribe();
    const id = showcase.orderId;
    const lookup = `${address}/orders/${encodeURIComponent(id)}`;
    logger.info(
      { order: id, lookup },
      `an order to try: ${id} (CRM, warehouse and carrier data all in): search for it in the console, or GET ${lookup} with the token`,
    );
  });

  const offsets = new Map<string, number>();
  let running = true;
  void stopped.then(() => {
    running = false;
  });
  const tickMs = 50;
  let due = 0;
  let total = 0;
  let lastReport = Date.now();
  const started = Date.now();
  while (running) {
    const tickStart = Date.now();
    due += config.ORDERLAKE_SIM_RATE === 0 ? 5000 : (config.ORDERLAKE_SIM_RATE * tickMs) / 1000;
    const batch: RawMessage[] = [];
    while (due >= 1) {
      const next = traffic.next(Date.now());
      if (next === null) {
        running = false;
        break;
      }
      due--;
      const offset = offsets.get(next.topic) ?? 0;
      offsets.set(next.topic, offset + 1);
      batch.push({
        topic: next.topic,
        partition: 0,
        offset: String(offset),
        timestamp: Date.now(),
        key: await runtime.codec.encoder.encodeKey(next.topic, next.key),
        value: next.value === null ? null : await runtime.codec.encoder.encode(next.topic, next.schema, next.value),
      });
    }
    if (batch.length > 0) {
      await runtime.pipeline.process(batch);
      total += batch.length;
    }
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      logger.info(
        { events: total, orders: runtime.store.liveCount, eventsPerSecond: Math.round(total / ((Date.now() - started) / 1000)) },
        'embedded pipeline progress',
      );
    }
    const wait = tickMs - (Date.now() - tickStart);
    if (running && wait > 0) await sleep(wait);
  }
  if (config.ORDERLAKE_SIM_ORDERS > 0) {
    await runtime.storage.sink.flush();
    logger.info({ events: total, orders: runtime.store.liveCount }, 'simulation finished; API stays up until Ctrl-C');
    await stopped;
  }
  await api.close();
  return closeRuntime(runtime, left, logger);
}
