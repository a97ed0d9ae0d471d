import { parseArgs } from 'node:util';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { isOrderlakeError } from '../errors.js';
import { runReplay } from '../runtime/run-replay.js';
import { releaseEarlyHealth } from '../runtime/early-health.js';
import { runStart } from '../runtime/run-start.js';
import { SIMULATE_HELP, simulateCommand } from './simulate-command.js';
import { runLint } from './lint-command.js';
import { SANDBOX_HELP, sandboxCommand } from './sandbox-command.js';
import { REDRIVE_HELP, redriveCommand } from './redrive-command.js';

const USAGE = `orderlake — real-time unified order data lake

Usage: orderlake <command> [options]

Commands:
  start              run the pipeline (embedded: simulator + chDB; Kafka when KAFKA_BROKERS is set)
  replay FILE        feed a recorded JSON Lines file through the pipeline
  simulate           generate reference CRM/WMS/TMS traffic (into Kafka, or to a replay file)
  lint [DIR]         check every pipeline file exactly as start does (pipeline schema and Avro schemas)
  sandbox            try candidate pipeline files on recorded history and diff against production
  redrive --since T  re-drive dead letters through the current pipelines (cured ones applied once)

Run 'orderlake <command> --help' for a command's options.
Configuration comes from environment variables: see README.md ("Configuration").`;

const HELP: Record<string, string> = {
  start: `Usage: orderlake start

Runs the pipeline and the HTTP/WebSocket API.
  Embedded (default): the built-in simulator feeds the pipeline in-process; ClickHouse is chDB in
  ORDERLAKE_DATA_DIR/lake. Rate, orders and seed: ORDERLAKE_SIM_RATE, ORDERLAKE_SIM_ORDERS, ORDERLAKE_SIM_SEED.
  Kafka (KAFKA_BROKERS set): ingest, link and merge workers in consumer groups KAFKA_GROUP_ID.*.
Prints 'Console: <url>' once (with a token generated for the run when no API credentials are
configured); everything else is JSON logs on stderr. The API listens on ORDERLAKE_HTTP_HOST:ORDERLAKE_HTTP_PORT.
Stop with Ctrl-C or SIGTERM: buffered rows are flushed and offsets committed before exit, within
ORDERLAKE_SHUTDOWN_TIMEOUT_MS (default 30 s). Exit status: 0 stopped in order; 75 the stop left work
undone (deadline passed or ClickHouse unreachable; logged, nothing of it committed); 130/143 a second
signal (exit at once, nothing flushed); 1 start-up failed.`,
  replay: `Usage: orderlake replay FILE [--out golden.jsonl] [--cases cases.jsonl] [--database NAME] [--data-dir DIR] [--batch N]

Feeds a replay file (JSON Lines: {topic, key, schema, value[, partition, offset, timestamp]}) through
encode → decode → normalize → link → merge → ClickHouse, from an empty state, and prints a summary.
  --out FILE       write the golden views, one per line, sorted by order_id
  --cases FILE     write every exception case the health rules (pipelines/rules/) open on the
                   recording, open and resolved, one per line, sorted by subject, order and rule
  --database NAME  ClickHouse database for the replay (default: orderlake_replay); it is DROPPED and
                   recreated at the start of every replay
  --data-dir DIR   chDB data directory (default: ORDERLAKE_DATA_DIR/replay; ignored with CLICKHOUSE_URL)
  --batch N        messages per micro-batch (default 2000)
  --quiet          no progress lines`,
  simulate: SIMULATE_HELP,
  sandbox: SANDBOX_HELP,
  redrive: REDRIVE_HELP,
  lint: `Usage: orderlake lint [DIR] [--schemas DIR]

Runs the validation 'orderlake start' runs on every pipeline file in DIR (default:
ORDERLAKE_PIPELINES_DIR, else the package's pipelines/): the pipeline file schema, then the reader
and writer schema names and every 'from' and 'ordering' path against the Avro schemas.
Prints each problem as file:line:column: path: what was expected. Exit code 1 when any file is invalid.
  --schemas DIR  Avro schemas to check against (default: ORDERLAKE_SCHEMAS_DIR, else the package's schemas/)
Only these two folders are read from the environment: other settings do not matter to lint.`,
};

/** CLI logs go to stderr so that stdout carries only results (summaries, views, replay lines). */
function cliLogger(config: Config): Logger {
  return pino({ level: config.LOG_LEVEL, name: 'orderlake' }, pino.destination(2));
}

/**
 * The folders lint reads, resolved exactly as start resolves them but from the two variables that
 * name them only: an unrelated bad setting (KAFKA_BROKERS, ORDERLAKE_BATCH_ROWS=abc) must not fail lint.
 */
function lintPaths(env: NodeJS.ProcessEnv): { pipelines: string; schemas: string } {
  const { paths } = loadConfig({ ORDERLAKE_PIPELINES_DIR: env.ORDERLAKE_PIPELINES_DIR, ORDERLAKE_SCHEMAS_DIR: env.ORDERLAKE_SCHEMAS_DIR });
  return paths;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (!(command in HELP)) {
    console.error(`orderlake: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(HELP[command]);
    return 0;
  }
  if (command === 'lint') {
    const { values, positionals } = parseArgs({ args: rest, options: { schemas: { type: 'string' } }, allowPositionals: true });
    if (positionals.length > 1) {
      console.error(`orderlake lint: expected at most one DIR\n\n${HELP.lint}`);
      return 2;
    }
    const paths = lintPaths(process.env);
    return runLint({
      pipelines: positionals[0] ? path.resolve(positionals[0]) : paths.pipelines,
      schemas: values.schemas ? path.resolve(values.schemas) : paths.schemas,
    });
  }
  const config = loadConfig();
  const logger = cliLogger(config);
  switch (command) {
    case 'start':
      parseArgs({ args: rest, options: {}, allowPositionals: false });
      return runStart(config, logger);
    case 'replay': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          cases: { type: 'string' },
          database: { type: 'string', default: 'orderlake_replay' },
          'data-dir': { type: 'string' },
          batch: { type: 'string', default: '2000' },
          quiet: { type: 'boolean', default: false },
        },
      });
      const file = positionals[0];
      if (!file || positionals.length > 1) {
        console.error(`orderlake replay: expected exactly one FILE\n\n${HELP.replay}`);
        return 2;
      }
      const batchSize = Number(values.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        console.error('orderlake replay: --batch must be a positive integer');
        return 2;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(values.database)) {
        console.error('orderlake replay: --database must be a plain identifier');
        return 2;
      }
      const summary = await runReplay(config, logger, {
        file: path.resolve(file),
        ...(values.out ? { out: values.out } : {}),
        ...(values.cases ? { cases: values.cases } : {}),
        database: values.database,
        dataPath: values['data-dir'] ? path.resolve(values['data-dir']) : path.join(config.paths.data, 'replay'),
        batchSize,
        progress: values.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
      });
      console.log(
        [
          `replayed ${summary.file}`,
          `  lines read        ${summary.linesRead}`,
          `  events            ${summary.events}`,
          `  applied           ${summary.applied}`,
          `  duplicates        ${summary.duplicates}`,
          `  tombstones        ${summary.tombstones}`,
          `  dead letters      ${summary.deadLetters}`,
          `  orders            ${summary.orders} (${summary.deletedOrders} deleted, no view)`,
          `  waiting tracking  ${summary.pendingShipmentEvents} events with no order link yet`,
          `  time              ${summary.seconds} s (${summary.eventsPerSecond} events/s)`,
          values.out ? `  golden views      ${path.resolve(values.out)}` : '',
          summary.cases && values.cases ? `  cases             ${summary.cases.total} (${summary.cases.open} still open) in ${path.resolve(values.cases)}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      return 0;
    }
    case 'simulate':
      return simulateCommand(config, logger, rest);
    case 'sandbox':
      return sandboxCommand(config, logger, rest);
    case 'redrive':
      return redriveCommand(config, logger, rest);
  }
  return 2;
}

/** Entry point: maps errors to a one-line message and an exit code (no stack for known errors). */
export async function run(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code !== 0) process.exitCode = code;
  } catch (err) {
    if (isOrderlakeError(err)) {
      console.error(`orderlake: ${err.code}: ${err.message}`);
    } else if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`orderlake: ${err.message}`);
      process.exitCode = 2;
      return;
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  } finally {
    // Whatever ended the command (a bad setting before start-up began, say), the early /health
    // listener must not keep the process alive.
    await releaseEarlyHealth();
  }
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href;
if (isMain) await run(process.argv.slice(2));
