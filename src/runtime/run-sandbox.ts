import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { loadRules } from '../health/index.js';
import { createIngestor } from '../pipeline/ingest.js';
import { formatSummary, renderHtmlReport, runSandbox, type SandboxProgress, type SandboxReport } from '../sandbox/index.js';
import {
  createClickHouseClient,
  deadLettersAt,
  goldenViewsOfOrders,
  lakePositionsOfOrders,
  ordersTouchedInWindow,
  rawMessagesOfOrders,
  unknownOrderMessagesInWindow,
  type TimeWindow,
} from '../sinks/index.js';
import { createCodec } from './codec.js';

export interface SandboxCommandOptions {
  pipelines: string;
  rules: string | null;
  window: TimeWindow;
  /** `--orders` as given, and the test it compiles to. */
  orders: { text: string; accept: (orderId: string) => boolean } | null;
  json: string | null;
  html: string | null;
  database: string;
  dataPath: string;
  batchOrders: number;
  progress: (line: string) => void;
}

/**
 * `orderlake sandbox`: opens production's ClickHouse read-only (chDB in `dataPath` or
 * CLICKHOUSE_URL), builds the candidate codec from `pipelines` (the schemas and registry stay
 * production's), runs the comparison and writes the reports.
 */
export async function runSandboxCommand(config: Config, logger: Logger, options: SandboxCommandOptions): Promise<SandboxReport> {
  const codec = await createCodec({ ...config, paths: { ...config.paths, pipelines: options.pipelines } }, logger);
  // Rule files are checked like start checks them, so a broken candidate fails here; cases are not recomputed.
  if (options.rules !== null) await loadRules(options.rules);
  const client = createClickHouseClient({
    ...(config.CLICKHOUSE_URL ? { url: config.CLICKHOUSE_URL } : {}),
    ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
    ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
    database: options.database,
    dataPath: options.dataPath,
  });
  const target = { client, database: options.database };
  try {
    const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, now: Date.now });
    let last = 0;
    const report = await runSandbox(
      {
        ingestor,
        source: {
          ordersTouchedInWindow: (window) => ordersTouchedInWindow({ ...target, window }),
          unknownOrderMessagesInWindow: (window, after, limit) => unknownOrderMessagesInWindow({ ...target, window, after, limit }),
          rawMessagesOfOrders: (orderIds) => rawMessagesOfOrders({ ...target, orderIds }),
          lakePositionsOfOrders: (orderIds) => lakePositionsOfOrders({ ...target, orderIds }),
          goldenViewsOfOrders: (orderIds) => goldenViewsOfOrders({ ...target, orderIds }),
          deadLettersAt: (positions) => deadLettersAt({ ...target, positions }),
        },
      },
      {
        window: options.window,
        batchOrders: options.batchOrders,
        ...(options.orders ? { orderFilter: options.orders.accept } : {}),
        labels: { pipelines: options.pipelines, rules: options.rules, ordersFilter: options.orders?.text ?? null },
        progress: (p: SandboxProgress) => {
          const t = performance.now();
          if (p.phase !== 'done' && p.phase !== 'orders' && t - last < 1000) return;
          last = t;
          options.progress(progressLine(p));
        },
      },
    );
    if (options.json) await writeFile(path.resolve(options.json), JSON.stringify(report, null, 2) + '\n');
    if (options.html) await writeFile(path.resolve(options.html), renderHtmlReport(report));
    logger.debug({ totals: report.totals }, 'sandbox finished');
    return report;
  } finally {
    await client.close();
  }
}

function progressLine(p: SandboxProgress): string {
  switch (p.phase) {
    case 'orders':
      return `sandbox: ${p.ordersTotal} orders touched in the window`;
    case 'unknown':
      return `sandbox: messages with no order decoded again: ${p.messages} (orders now ${p.ordersTotal})`;
    case 'compare':
      return `sandbox: ${p.ordersDone}/${p.ordersTotal} orders compared, ${p.messages} messages, ${p.changed} changed`;
    case 'done':
      return `sandbox: done, ${p.ordersTotal} orders, ${p.messages} messages, ${p.changed} changed`;
  }
}

export { formatSummary };
