import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { loadRules, rulesDirectoryOf, type Rule } from '../health/index.js';
import { createIngestor } from '../pipeline/ingest.js';
import { formatSummary, renderHtmlReport, runSandbox, type SandboxProgress, type SandboxReport, type SandboxRunOptions } from '../sandbox/index.js';
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

export interface SandboxCommandOptions extends SandboxRequest {
  json: string | null;
  html: string | null;
  database: string;
  dataPath: string;
}

/** What a sandbox run compares: candidate files, window, orders (CLI flags or the admin API). */
export interface SandboxRequest {
  pipelines: string;
  rules: string | null;
  window: TimeWindow;
  /** `--orders` as given, and the test it compiles to. */
  orders: { text: string; accept: (orderId: string) => boolean } | null;
  batchOrders: number;
  /** Progress lines, at most about one a second (phase changes always). */
  progress?: (line: string) => void;
  /**
   * Recompute exception cases with production's and the candidate's files and diff them. Default
   * true; false skips the second decoding and the rules (the report says cases were not computed).
   */
  cases?: boolean;
}

/**
 * Runs the sandbox against production's ClickHouse through `target.client` (read only; the caller
 * owns the client): builds the candidate codec from `request.pipelines` (the schemas and registry
 * stay production's), loads the candidate rules (`request.rules`, else production's), and compares
 * views and exception cases. The CLI and `POST /admin/sandbox` both come here.
 */
export async function runSandboxOn(config: Config, logger: Logger, target: { client: ClickHouseClient; database: string }, request: SandboxRequest): Promise<SandboxReport> {
  const codec = await createCodec({ ...config, paths: { ...config.paths, pipelines: request.pipelines } }, logger);
  // Rule files are checked like start checks them, so a broken candidate fails here.
  const candidateRules = request.rules !== null ? await loadRules(request.rules) : null;
  const ingestor = createIngestor({ decoder: codec.decoder, normalizer: codec.normalizer, now: Date.now });
  let cases: SandboxRunOptions['cases'];
  if (request.cases !== false) {
    // The baseline: production's own pipeline and rule files, as `orderlake start` loads them (a
    // missing rules directory runs no rules there, so none here).
    const production = await createCodec(config, logger);
    const dir = rulesDirectoryOf(config.paths.pipelines);
    const productionRules: Rule[] = existsSync(dir) ? await loadRules(dir) : [];
    cases = {
      productionIngestor: createIngestor({ decoder: production.decoder, normalizer: production.normalizer, now: Date.now }),
      productionRules,
      candidateRules: candidateRules ?? productionRules,
      allowedLatenessMs: config.ORDERLAKE_HEALTH_LATENESS_MS,
    };
  }
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
      window: request.window,
      batchOrders: request.batchOrders,
      ...(request.orders ? { orderFilter: request.orders.accept } : {}),
      labels: { pipelines: request.pipelines, rules: request.rules, ordersFilter: request.orders?.text ?? null },
      ...(cases ? { cases } : {}),
      progress: (p: SandboxProgress) => {
        if (!request.progress) return;
        const t = performance.now();
        if (p.phase !== 'done' && p.phase !== 'orders' && t - last < 1000) return;
        last = t;
        request.progress(progressLine(p));
      },
    },
  );
  logger.debug({ totals: report.totals }, 'sandbox finished');
  return report;
}

/**
 * `orderlake sandbox`: opens production's ClickHouse read-only (chDB in `dataPath` or
 * CLICKHOUSE_URL), runs the comparison and writes the reports.
 */
export async function runSandboxCommand(config: Config, logger: Logger, options: SandboxCommandOptions): Promise<SandboxReport> {
  const client = createClickHouseClient({
    ...(config.CLICKHOUSE_URL ? { url: config.CLICKHOUSE_URL } : {}),
    ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
    ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
    database: options.database,
    dataPath: options.dataPath,
  });
  try {
    const report = await runSandboxOn(config, logger, { client, database: options.database }, options);
    if (options.json) await writeFile(path.resolve(options.json), JSON.stringify(report, null, 2) + '\n');
    if (options.html) await writeFile(path.resolve(options.html), renderHtmlReport(report));
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
