import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import {
  createClickHouseClient,
  createClickHouseSink,
  dropDatabase,
  ensureDatabase,
  runMigrations,
  type ClickHouseSink,
  type ClickHouseSinkOptions,
} from '../sinks/index.js';
import type { Metrics } from '../metrics.js';

export interface Storage {
  /** Writes (sink) and rebuilds. */
  client: ClickHouseClient;
  /**
   * A second client on the same ClickHouse for API reads: a chDB client runs one statement at a
   * time, so lookups and analyst SQL must not queue behind the sink's inserts.
   */
  reader: ClickHouseClient;
  database: string;
  sink: ClickHouseSink;
  close(): Promise<void>;
}

/** Connects to ClickHouse (remote URL or chDB in `dataPath`), migrates, and builds the sink. */
export async function createStorage(
  config: Config,
  logger: Logger,
  options: {
    dataPath: string;
    database: string;
    recreate?: boolean;
    metrics?: Metrics;
    /** How the sink's inserts reach ClickHouse (default: the client's); tests wrap it to inject faults. */
    insert?: ClickHouseSinkOptions['insert'];
  },
): Promise<Storage> {
  const clientConfig = {
    ...(config.CLICKHOUSE_URL ? { url: config.CLICKHOUSE_URL } : {}),
    ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
    ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
    database: options.database,
    dataPath: options.dataPath,
  };
  const client = createClickHouseClient(clientConfig);
  const reader = createClickHouseClient(clientConfig);
  if (options.recreate) await dropDatabase(client, options.database);
  await ensureDatabase(client, options.database);
  await runMigrations({ client, database: options.database, logger });
  const metrics = options.metrics;
  const sink = createClickHouseSink({
    client,
    logger,
    database: options.database,
    batchRows: config.ORDERLAKE_BATCH_ROWS,
    flushIntervalMs: config.ORDERLAKE_FLUSH_INTERVAL_MS,
    ...(config.ORDERLAKE_GOLDEN_INTERVAL_MS !== undefined ? { goldenIntervalMs: config.ORDERLAKE_GOLDEN_INTERVAL_MS } : {}),
    now: Date.now,
    ...(options.insert ? { insert: options.insert } : {}),
    ...(metrics
      ? {
          onFlush: ({ table, rows, ms }: { table: string; rows: number; ms: number }) => {
            metrics.flushRows.observe({ table }, rows);
            metrics.flushSeconds.observe({ table }, ms / 1000);
          },
        }
      : {}),
  });
  logger.info(
    { clickhouse: config.CLICKHOUSE_URL ?? `chDB at ${options.dataPath}`, database: options.database },
    'ClickHouse ready',
  );
  return {
    client,
    reader,
    database: options.database,
    sink,
    async close() {
      await sink.close();
      await reader.close();
      await client.close();
    },
  };
}
