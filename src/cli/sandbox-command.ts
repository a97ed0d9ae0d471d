import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { OrderlakeError } from '../errors.js';
import { formatSummary, runSandboxCommand } from '../runtime/run-sandbox.js';
import { parseTimeArg, TIME_ARG_EXPECTED } from '../time-arg.js';
import { orderFilter } from '../sandbox/index.js';

export const SANDBOX_HELP = `Usage: orderlake sandbox --pipelines DIR --from TIME --to TIME [--rules DIR] [--orders FILTER]
                        [--json FILE] [--html FILE] [--database NAME] [--data-dir DIR] [--batch N] [--no-cases]

Tries candidate pipeline files on recorded history: every order touched in the window (Kafka time,
FROM included, TO excluded) is rebuilt from all its stored source messages (raw_events), decoded and
normalized with the candidate files and merged, and compared with production's golden_orders.
Exception cases: the order rules run on each order's history twice, production's rules on the views
production's pipelines give and the candidate rules on the candidate's views, and the cases are
diffed. Prints a summary with progress; nothing is written to ClickHouse.
  --pipelines DIR  candidate pipeline files (checked like start checks them)
  --rules DIR      candidate rule files (default: production's, <pipelines>/rules of the config)
  --from, --to     ISO 8601 with its zone (2026-11-22T10:00:00Z), epoch milliseconds, or a duration ago (2h)
  --orders FILTER  comma-separated order ids; '*' matches any characters (SO-0001*)
  --json FILE      the full report as JSON
  --html FILE      the same report as one self-contained HTML page
  --database NAME  production database (default CLICKHOUSE_DATABASE)
  --data-dir DIR   chDB data directory (default ORDERLAKE_DATA_DIR/lake; ignored with CLICKHOUSE_URL);
                   chDB allows one process per directory: stop 'orderlake start' first
  --batch N        orders per batch (default 200): what bounds memory
  --no-cases       compare views only (no second decoding, no rules)
  --quiet          no progress lines`;

export async function sandboxCommand(config: Config, logger: Logger, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      pipelines: { type: 'string' },
      rules: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      orders: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      database: { type: 'string' },
      'data-dir': { type: 'string' },
      batch: { type: 'string', default: '200' },
      quiet: { type: 'boolean', default: false },
      'no-cases': { type: 'boolean', default: false },
    },
  });
  if (positionals.length > 0 || !values.pipelines || !values.from || !values.to) {
    console.error(`orderlake sandbox: --pipelines, --from and --to are required\n\n${SANDBOX_HELP}`);
    return 2;
  }
  const from = timeFlag('from', values.from);
  const to = timeFlag('to', values.to);
  if (to <= from) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', '--to must be after --from');
  const batchOrders = Number(values.batch);
  if (!Number.isInteger(batchOrders) || batchOrders < 1) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', '--batch must be a positive integer');
  const database = values.database ?? config.CLICKHOUSE_DATABASE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', '--database must be a plain identifier');
  const report = await runSandboxCommand(config, logger, {
    pipelines: path.resolve(values.pipelines),
    rules: values.rules ? path.resolve(values.rules) : null,
    window: { from, to },
    orders: values.orders ? { text: values.orders, accept: orderFilterFlag(values.orders) } : null,
    json: values.json ?? null,
    html: values.html ?? null,
    database,
    dataPath: values['data-dir'] ? path.resolve(values['data-dir']) : path.join(config.paths.data, 'lake'),
    batchOrders,
    cases: !values['no-cases'],
    progress: values.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
  });
  console.log(formatSummary(report));
  if (values.json) console.log(`  JSON report       ${path.resolve(values.json)}`);
  if (values.html) console.log(`  HTML report       ${path.resolve(values.html)}`);
  return 0;
}

function timeFlag(flag: 'from' | 'to', text: string): number {
  const ms = parseTimeArg(text, Date.now());
  if (ms === null) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `--${flag}: ${TIME_ARG_EXPECTED}, got '${text}'`);
  return ms;
}

function orderFilterFlag(text: string): (orderId: string) => boolean {
  const accept = orderFilter(text);
  if (accept === null) throw new OrderlakeError('OL_ERR_CONFIG_INVALID', '--orders must name at least one order id or pattern');
  return accept;
}
