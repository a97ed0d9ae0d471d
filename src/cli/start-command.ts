import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { createEmbeddedRuntime, startKafkaRuntime } from '../main.js';
import { createApiServer } from '../api/server.js';
import { createTrafficGenerator } from '../simulator/index.js';
import { getGoldenView } from '../sinks/index.js';
import type { GoldenView } from '../golden/index.js';
import type { RawMessage } from '../pipeline/raw-message.js';

/** Resolves on the first SIGINT/SIGTERM. */
function shutdownSignal(logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down: flushing buffered rows');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function listen(app: FastifyInstance, config: Config, logger: Logger): Promise<string> {
  const address = await app.listen({ host: config.ORDERLAKE_HTTP_HOST, port: config.ORDERLAKE_HTTP_PORT });
  logger.info({ address }, 'HTTP API listening');
  return address;
}

/** `orderlake start`: the pipeline and its API, embedded by default, Kafka workers with KAFKA_BROKERS. */
export async function runStart(config: Config, logger: Logger): Promise<number> {
  const dataPath = path.join(config.paths.data, 'lake');
  const database = config.CLICKHOUSE_DATABASE;
  const stopped = shutdownSignal(logger);

  if (config.mode === 'kafka') {
    const runtime = await startKafkaRuntime(config, logger, { dataPath, database });
    const app = await createApiServer({
      logger,
      metrics: runtime.metrics,
      getOrder: async (id) => runtime.store.get(id) ?? ((await getGoldenView({ client: runtime.storage.client, database, orderId: id })) as GoldenView | null),
      readiness: () => runtime.readiness(),
    });
    const address = await listen(app, config, logger);
    logger.info({ api: address, database }, `orderlake is running on Kafka; look up an order at ${address}/orders/<order_id>`);
    await stopped;
    await app.close();
    await runtime.close();
    return 0;
  }

  const runtime = await createEmbeddedRuntime(config, logger, { dataPath, database, rebuild: true, defaultMetrics: true });
  const app = await createApiServer({
    logger,
    metrics: runtime.metrics,
    getOrder: async (id) => runtime.store.get(id) ?? ((await getGoldenView({ client: runtime.storage.client, database, orderId: id })) as GoldenView | null),
    readiness: async () => {
      let clickhouse = true;
      try {
        await runtime.storage.client.ping();
      } catch {
        clickhouse = false;
      }
      return { ready: clickhouse, checks: { clickhouse, state_rebuilt: true, kafka_assigned: 'embedded mode' } };
    },
  });
  const address = await listen(app, config, logger);

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
    `orderlake is running (embedded): simulated CRM/WMS/TMS traffic is filling the golden table; try ${address}/orders/SO-${runId}-000001 and ${address}/metrics`,
  );

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
        { events: total, orders: runtime.store.size, eventsPerSecond: Math.round(total / ((Date.now() - started) / 1000)) },
        'embedded pipeline progress',
      );
    }
    const wait = tickMs - (Date.now() - tickStart);
    if (running && wait > 0) await sleep(wait);
  }
  if (config.ORDERLAKE_SIM_ORDERS > 0) {
    await runtime.storage.sink.flush();
    logger.info({ events: total, orders: runtime.store.size }, 'simulation finished; API stays up until Ctrl-C');
    await stopped;
  }
  await app.close();
  await runtime.close();
  return 0;
}
