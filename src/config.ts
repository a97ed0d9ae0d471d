import path from 'node:path';
import { z } from 'zod';
import { fileURLToPath } from 'node:url';
import { OrderlakeError } from './errors.js';

/** The orderlake package folder (holds `pipelines/` and `schemas/`), wherever it is run from. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const list = z
  .string()
  .optional()
  .transform((v) =>
    v === undefined
      ? []
      : v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
  );

/**
 * Every setting orderlake reads from the environment, validated once at startup. The README's
 * configuration table is generated from the same names; keep them in step.
 */
export const envSchema = z.object({
  /** Comma-separated Kafka bootstrap brokers. Unset: embedded mode (in-process source and queues). */
  KAFKA_BROKERS: list,
  /** Kafka client library: `kafkajs` (default, pure JS) or `rdkafka` (node-rdkafka, optional dependency). */
  KAFKA_CLIENT: z.enum(['kafkajs', 'rdkafka']).default('kafkajs'),
  /** Kafka client id, shown in broker logs and quotas. */
  KAFKA_CLIENT_ID: z.string().default('orderlake'),
  /** Consumer group prefix: the stages use `<prefix>.ingest`, `<prefix>.link`, `<prefix>.merge`. */
  KAFKA_GROUP_ID: z.string().min(1).default('orderlake'),
  /**
   * Consumer session timeout, ms: how long the group waits for a member that stopped heartbeating
   * (a crashed worker) before its partitions move. Shorter recovers from a crash sooner; too short
   * and a long pause (GC, a slow batch) makes a healthy worker lose its partitions. The broker allows
   * 6000–300000 by default (`group.min/max.session.timeout.ms`).
   */
  KAFKA_SESSION_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  /** SASL mechanism for Kafka (`plain`, `scram-sha-256`, `scram-sha-512`); unset for none. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: optionalString,
  KAFKA_SASL_PASSWORD: optionalString,
  /** `true` to connect to Kafka over TLS. */
  KAFKA_SSL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Prefix of orderlake's own topics (canonical events, links, dead letters). */
  ORDERLAKE_TOPIC_PREFIX: z.string().default('orderlake.'),
  /** Partitions of every internal topic; they must all match, since orders are owned by partition. */
  ORDERLAKE_INTERNAL_PARTITIONS: int(1, 10_000).default(12),
  /** Replication factor used when orderlake creates its internal topics. */
  ORDERLAKE_INTERNAL_REPLICATION: int(1, 10).default(1),
  /** Confluent-compatible schema registry URL. Unset: the schemas in `schemas/` with local ids. */
  SCHEMA_REGISTRY_URL: optionalString,
  SCHEMA_REGISTRY_USERNAME: optionalString,
  SCHEMA_REGISTRY_PASSWORD: optionalString,
  /** ClickHouse HTTP URL. Unset: chDB (ClickHouse's engine in-process) in ORDERLAKE_DATA_DIR. */
  CLICKHOUSE_URL: optionalString,
  CLICKHOUSE_USER: optionalString,
  CLICKHOUSE_PASSWORD: optionalString,
  /** ClickHouse database holding the lake, golden and dead-letter tables (created if missing). */
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier')
    .default('orderlake'),
  /** chDB data directory (embedded ClickHouse). One process per directory. */
  ORDERLAKE_DATA_DIR: z.string().default('./data'),
  /** Directory of pipeline YAML files. Default: `pipelines/` of the orderlake package. */
  ORDERLAKE_PIPELINES_DIR: optionalString,
  /** Directory of Avro schema files (`*.avsc`). Default: `schemas/` of the orderlake package. */
  ORDERLAKE_SCHEMAS_DIR: optionalString,
  /** Micro-batch: flush to ClickHouse when this many rows are buffered. */
  ORDERLAKE_BATCH_ROWS: int(1, 1_000_000).default(5000),
  /** Micro-batch: flush to ClickHouse at least this often, milliseconds. */
  ORDERLAKE_FLUSH_INTERVAL_MS: int(1, 60_000).default(200),
  /**
   * Golden rows and exception cases follow the lake on their own timer (they are not on the commit
   * path): written at least this often, ms. Default: the flush interval, at most 1 s.
   */
  ORDERLAKE_GOLDEN_INTERVAL_MS: int(1, 1000).optional(),
  /**
   * Kafka mode: how often the consumer-lag gauge is refreshed, ms. Each refresh asks the brokers
   * for the watermarks and committed offsets of the partitions this worker holds (a few small
   * requests per stage); 5 s is finer than a usual Prometheus scrape interval.
   */
  ORDERLAKE_LAG_INTERVAL_MS: int(100, 3_600_000).default(5000),
  /**
   * Batches of one partition a stage hands off before they are acknowledged (lake rows stored,
   * produce acknowledged); a full window pauses that partition (embedded mode: the source). Bounds
   * the memory held for unacknowledged work when ClickHouse or Kafka slows down; 4 keeps a stage
   * busy while one flush runs.
   */
  ORDERLAKE_ACK_WINDOW: int(1, 1000).default(4),
  /**
   * How long an orderly stop (SIGTERM, Ctrl-C: stop fetching, flush, commit, leave the groups, close)
   * may take, ms. Past it the process logs at error what was left (rows still buffered for
   * ClickHouse, batches unacknowledged; nothing of it committed: Kafka re-delivers it to the next
   * owner) and exits with status 75. Under an orchestrator's own grace period (Kubernetes: 30 s
   * `terminationGracePeriodSeconds`, so set this a little shorter there) a stop that hangs on an
   * unreachable ClickHouse still ends with its own log line rather than a SIGKILL.
   */
  ORDERLAKE_SHUTDOWN_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
  /**
   * Health rules: how far behind the newest source event time the event-time watermark stays, ms.
   * Source systems deliver a little late (the reference ones by up to 10 minutes); judging "nothing
   * happened for 45 minutes" against a watermark that waits this long avoids cases that open only
   * because the event that ends the wait is still on its way.
   */
  ORDERLAKE_HEALTH_LATENESS_MS: int(0, 86_400_000).default(600_000),
  /**
   * The health rules (`pipelines/rules/*.yaml`) in the running pipeline: `on` opens exception cases
   * live; `off` leaves them out (cases from a recording: `orderlake replay --cases`).
   */
  ORDERLAKE_HEALTH: z.enum(['on', 'off']).default('on'),
  /**
   * How often the wall clock is read for the health rules, ms: while every source is idle it moves
   * event time on, so "nothing happened for 30 minutes" fires without a new event.
   */
  ORDERLAKE_HEALTH_TICK_MS: int(100, 600_000).default(1000),
  /**
   * Live reload of pipeline and rule files: `on` watches them, checks a change as start-up does and
   * swaps it in between batches on every worker (see README "Changing pipelines and rules while
   * running"); `off` reads them at start only.
   */
  ORDERLAKE_CONFIG_RELOAD: z.enum(['on', 'off']).default('on'),
  /**
   * Keep every source message's bytes in `raw_events` (what `orderlake sandbox` decodes again with
   * candidate pipelines). `off` saves that insert and its disk; the sandbox then has no history to
   * try a change on (orders without raw messages are listed as incomplete, never compared).
   */
  ORDERLAKE_RAW_EVENTS: z.enum(['on', 'off']).default('on'),
  /**
   * How often a worker polls the file system and the shared `config_versions` table for a new
   * configuration version, ms. Also the upper bound of file saved → live on a worker whose file
   * watcher missed the change, and of another worker's change → live here.
   */
  ORDERLAKE_CONFIG_POLL_MS: int(50, 600_000).default(1000),
  /**
   * Kafka mode: how the internal topics (`<prefix>events`, `<prefix>links`) are written. Readers
   * take both. `json` only for a rolling upgrade from a version that reads JSON alone: keep it until
   * every worker runs this version, then switch to `avro` (a third of the bytes, ~1.8× faster).
   */
  ORDERLAKE_INTERNAL_FORMAT: z.enum(['avro', 'json']).default('avro'),
  /**
   * Kafka mode: the golden changelog, `<prefix>golden` (compacted, Avro, keyed by order id): every
   * version of every golden view and every delete, published by the merge owner; merge offsets
   * then wait for its acknowledgement too. On by default: it is how other services (and workers)
   * follow orders from Kafka alone. `off`: nothing is published (embedded mode never publishes).
   */
  ORDERLAKE_GOLDEN_TOPIC: z.enum(['on', 'off']).default('on'),
  /**
   * Kafka mode with the changelog on: every worker follows `<prefix>golden` (all partitions), so
   * its live feed and lookups carry every order, not only those its merge owns. `off`: a worker's
   * feed carries its own orders only.
   */
  ORDERLAKE_FEED_FOLLOW: z.enum(['on', 'off']).default('on'),
  /** Orders owned by other workers whose newest view a worker keeps from the changelog (for snapshots and lookups); oldest changed first out. */
  ORDERLAKE_FEED_FOLLOW_MAX_ORDERS: int(1, 10_000_000).default(50_000),
  /** Tracking events waiting for their order (no link yet) kept at most; beyond, the oldest is dead-lettered. */
  ORDERLAKE_LINK_MAX_PENDING: int(1, 100_000_000).default(1_000_000),
  /**
   * A closed order (delivered, cancelled, refunded, returned, all fulfillments cancelled) or a
   * deleted one leaves memory after this long without a change, ms, and is restored from
   * ClickHouse when an event for it arrives. 0: every order stays in memory.
   */
  ORDERLAKE_DORMANT_AFTER_MS: int(0, 2_147_483_647).default(1_800_000),
  /** A shipment waiting longer than this (ms) for its link is listed as an orphan. */
  ORDERLAKE_ORPHAN_AFTER_MS: int(1, 30 * 24 * 3600_000).default(15 * 60_000),
  /** HTTP/WebSocket listen address. */
  ORDERLAKE_HTTP_HOST: z.string().default('127.0.0.1'),
  /** HTTP/WebSocket listen port; 0 picks a free port. */
  ORDERLAKE_HTTP_PORT: int(0, 65_535).default(8080),
  /**
   * Largest HTTP request body, bytes; a larger one (or a `Content-Length` announcing one) is
   * refused with 413 before it is read. 1 MiB fits the largest analyst SQL statement (100,000
   * characters) with room for JSON escapes.
   */
  ORDERLAKE_HTTP_BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  /**
   * Live feed connections at most on this server; an upgrade beyond is answered 503 with
   * Retry-After (no socket opened). Each connection may hold up to its queue and socket buffer
   * (see `src/api/ws/feed-options.ts`), so this bounds the feed's memory.
   */
  ORDERLAKE_WS_MAX_CONNECTIONS: int(1, 1_000_000).default(1000),
  /**
   * Live feed connections at most per client (the token's name), so one runaway client cannot
   * take every slot; beyond, the upgrade is answered 429 with Retry-After.
   */
  ORDERLAKE_WS_MAX_CONNECTIONS_PER_CLIENT: int(1, 1_000_000).default(100),
  /** Subscriptions at most on one feed connection; beyond, a subscribe gets an error frame. */
  ORDERLAKE_WS_MAX_SUBSCRIPTIONS: int(1, 10_000).default(32),
  /**
   * Client messages per second a feed connection may send on average (a subscribe builds a
   * snapshot, the costliest thing a client can ask). A message over the rate is not acted on: one
   * error frame says so, and a client that sends ORDERLAKE_WS_MESSAGE_BURST more regardless is
   * closed with 4029.
   */
  ORDERLAKE_WS_MAX_MESSAGES_PER_SECOND: int(1, 100_000).default(20),
  /** Client messages a feed connection may send at once above the rate (token bucket size). */
  ORDERLAKE_WS_MESSAGE_BURST: int(1, 100_000).default(100),
  /**
   * JSON file of API credentials: `{ "tokens": [{ "token", "role", "name" }], "jwtSecret"? }`, roles
   * agent | analyst | service | admin. Unset: only the two variables below. With no credential at
   * all, `orderlake start` makes a random admin token for the run and logs it.
   */
  ORDERLAKE_AUTH_FILE: optionalString,
  /** Static API tokens, comma-separated `token:role` (e.g. `s3cret:agent,other:analyst`); added to the file's. */
  ORDERLAKE_AUTH_TOKENS: list.refine(
    (entries) => entries.every((e) => /^.+:(agent|analyst|service|admin)$/.test(e)),
    'comma-separated token:role entries, role one of agent, analyst, service, admin',
  ),
  /** Secret for HS256 JWTs whose `role` claim (or `roles` array) carries the role. Overrides the file's `jwtSecret`. */
  ORDERLAKE_JWT_SECRET: optionalString,
  /** `POST /sql`: longest an analyst query may run, seconds (ClickHouse `max_execution_time`). */
  ORDERLAKE_SQL_MAX_EXECUTION_SECONDS: int(1, 3600).default(10),
  /** `POST /sql`: most rows a result may have; a larger one fails rather than being cut (ClickHouse `max_result_rows`, overflow mode `throw`). */
  ORDERLAKE_SQL_MAX_RESULT_ROWS: int(1, 10_000_000).default(10_000),
  /** Embedded simulator: events per second (0 = as fast as possible). */
  ORDERLAKE_SIM_RATE: int(0, 10_000_000).default(200),
  /** Embedded simulator: number of orders to simulate (0 = endless). */
  ORDERLAKE_SIM_ORDERS: int(0, 100_000_000).default(0),
  /** Embedded simulator: random seed (same seed, same traffic). */
  ORDERLAKE_SIM_SEED: int(0, 2 ** 31 - 1).default(42),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type EnvConfig = z.infer<typeof envSchema>;

export interface Config extends EnvConfig {
  /** Kafka mode when brokers are configured; embedded otherwise. */
  mode: 'kafka' | 'embedded';
  /** Absolute paths of the directories above, resolved against the working directory. */
  paths: { data: string; pipelines: string; schemas: string };
  /** Kafka topic names under ORDERLAKE_TOPIC_PREFIX; `golden` is written only with ORDERLAKE_GOLDEN_TOPIC=on. */
  topics: { events: string; links: string; deadLetters: string; golden: string };
}

/** Validates the environment once; a bad value fails fast naming the variable and what was expected. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const relevant: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message} (got ${JSON.stringify(relevant[String(issue.path[0])])})`)
      .join('; ');
    throw new OrderlakeError('OL_ERR_CONFIG_INVALID', `invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  const prefix = c.ORDERLAKE_TOPIC_PREFIX;
  return {
    ...c,
    mode: c.KAFKA_BROKERS.length > 0 ? 'kafka' : 'embedded',
    paths: {
      data: path.resolve(cwd, c.ORDERLAKE_DATA_DIR),
      pipelines: c.ORDERLAKE_PIPELINES_DIR ? path.resolve(cwd, c.ORDERLAKE_PIPELINES_DIR) : path.join(PACKAGE_ROOT, 'pipelines'),
      schemas: c.ORDERLAKE_SCHEMAS_DIR ? path.resolve(cwd, c.ORDERLAKE_SCHEMAS_DIR) : path.join(PACKAGE_ROOT, 'schemas'),
    },
    topics: { events: `${prefix}events`, links: `${prefix}links`, deadLetters: `${prefix}dead-letters`, golden: `${prefix}golden` },
  };
}
