/**
 * The one table of orderlake error codes. Every error the pipeline raises or records (dead letters
 * included) carries one of these codes; retry decisions come from `retriable`, never from parsing
 * messages.
 */
export const ERROR_CODES = {
  /** A configuration value (environment or CLI flag) is missing or invalid. Fatal at startup. */
  OL_ERR_CONFIG_INVALID: { retriable: false, summary: 'configuration is invalid' },
  /** A pipeline YAML file does not match the pipeline schema. Fatal at startup. */
  OL_ERR_PIPELINE_INVALID: { retriable: false, summary: 'pipeline file is invalid' },
  /** An Avro schema file in schemas/ cannot be parsed. Fatal at startup. */
  OL_ERR_SCHEMA_INVALID: { retriable: false, summary: 'Avro schema file is invalid' },
  /** A message is shorter than the 5-byte Confluent header or cannot be read at all. Dead letter. */
  OL_ERR_CODEC_TRUNCATED: { retriable: false, summary: 'message too short for the Confluent wire format' },
  /** Byte 0 of a Confluent-framed message is not 0. Dead letter. */
  OL_ERR_CODEC_BAD_MAGIC: { retriable: false, summary: 'wrong magic byte' },
  /** The schema registry does not know the writer schema id. Dead letter. */
  OL_ERR_CODEC_UNKNOWN_SCHEMA_ID: { retriable: false, summary: 'unknown writer schema id' },
  /** The schema registry could not be reached or answered 5xx. Retried with backoff. */
  OL_ERR_REGISTRY_UNAVAILABLE: { retriable: true, summary: 'schema registry unavailable' },
  /** The writer schema cannot be resolved against the pipeline's reader schema. Dead letter. */
  OL_ERR_CODEC_RESOLUTION: { retriable: false, summary: 'writer schema incompatible with reader schema' },
  /** The Avro body does not decode with the writer schema (bad bytes, trailing bytes). Dead letter. */
  OL_ERR_CODEC_DECODE: { retriable: false, summary: 'Avro body does not decode' },
  /** A replay value cannot be encoded with the writer schema it names. Dead letter. */
  OL_ERR_CODEC_ENCODE: { retriable: false, summary: 'value does not match its writer schema' },
  /** A decimal is not canonical at the schema's scale. Dead letter. */
  OL_ERR_NORMALIZE_DECIMAL: { retriable: false, summary: 'decimal not canonical at the schema scale' },
  /** A timestamp is malformed (ZonedTimestamp string, micro or milli timestamp). Dead letter. */
  OL_ERR_NORMALIZE_TIMESTAMP: { retriable: false, summary: 'malformed timestamp' },
  /** A mapped field is missing, of the wrong type, or has a value the mapping table lacks. Dead letter. */
  OL_ERR_NORMALIZE_MAPPING: { retriable: false, summary: 'mapping failed' },
  /** A tombstone (null value) arrived on a topic whose pipeline does not allow tombstones. Dead letter. */
  OL_ERR_NORMALIZE_TOMBSTONE: { retriable: false, summary: 'tombstone not allowed on this topic' },
  /** A message arrived on a topic that no pipeline reads. Dead letter. */
  OL_ERR_NO_PIPELINE: { retriable: false, summary: 'no pipeline for topic' },
  /** A replay file line is not valid JSON or not an event object. Dead letter. */
  OL_ERR_REPLAY_LINE: { retriable: false, summary: 'replay line is malformed' },
  /** ClickHouse refused or failed a statement. Retried with backoff when the failure is transient. */
  OL_ERR_CLICKHOUSE: { retriable: true, summary: 'ClickHouse statement failed' },
  /** A schema migration failed. Fatal at startup. */
  OL_ERR_MIGRATION: { retriable: false, summary: 'schema migration failed' },
  /** Kafka produce/consume/commit failed. Retried with backoff. */
  OL_ERR_KAFKA: { retriable: true, summary: 'Kafka operation failed' },
  /** The shipment linker's waiting area is full: the oldest waiting tracking event is dead-lettered, not dropped. */
  OL_ERR_LINK_OVERFLOW: { retriable: false, summary: 'too many tracking events waiting for their order' },
  /**
   * An event reached an order asleep in ClickHouse that was not restored first (a bug in our own
   * logic, not bad data). The event is dead-lettered (stage `merge`) and the partition moves on.
   */
  OL_ERR_ORDER_DORMANT: { retriable: false, summary: 'order is dormant and was not restored first' },
  /**
   * An order asleep in ClickHouse could not be woken because ClickHouse holds none of its events
   * (its data was removed, or the worker points at another database than the one it slept in). Its
   * new events are dead-lettered (stage `merge`) instead of blocking the partition.
   */
  OL_ERR_ORDER_STATE_MISSING: { retriable: false, summary: 'stored state of a dormant order is missing' },
  /**
   * A message on an internal topic (`<prefix>events`, `<prefix>links`) is not one orderlake wrote
   * (not JSON, or not the expected shape/version). Dead-lettered with its bytes and position.
   */
  OL_ERR_INTERNAL_MESSAGE: { retriable: false, summary: 'internal topic message is unreadable' },
  /**
   * An orderly stop (first SIGTERM/SIGINT) left work undone: it did not finish within
   * ORDERLAKE_SHUTDOWN_TIMEOUT_MS, or its last flush could not reach ClickHouse. Logged with what was
   * left (rows not stored, batches unacknowledged); the process exits with status 75
   * (`SHUTDOWN_INCOMPLETE_EXIT_CODE` in src/runtime/shutdown-deadline.ts). Nothing left was
   * committed: it is read again after a restart.
   */
  OL_ERR_SHUTDOWN_INCOMPLETE: { retriable: false, summary: 'orderly shutdown left work undone' },
  /** The optional node-rdkafka client was selected but is not installed. Fatal at startup. */
  OL_ERR_RDKAFKA_MISSING: { retriable: false, summary: 'node-rdkafka is not installed' },
  /**
   * The schema registry refused a request for a reason other than a missing id (bad credentials,
   * a schema it finds invalid or incompatible with the subject). Retrying cannot help: fatal for
   * that input (a dead letter for a replay value), or at startup.
   */
  OL_ERR_REGISTRY_REJECTED: { retriable: false, summary: 'schema registry rejected the request' },
  /**
   * A row handed to the ClickHouse sink does not fit its table (a bug in the stage that built it).
   * Thrown by the write call, so that one bad row never enters a batch that would then fail forever.
   */
  OL_ERR_SINK_ROW_INVALID: { retriable: false, summary: 'row does not fit its ClickHouse table' },
  /** A live-feed (WebSocket) client message is not a JSON object. Answered with an error frame; the connection stays. */
  OL_ERR_WS_MALFORMED: { retriable: false, summary: 'feed message is not a JSON object' },
  /** A live-feed client message has a `type` the feed does not know. Error frame; the connection stays. */
  OL_ERR_WS_UNKNOWN_TYPE: { retriable: false, summary: 'unknown feed message type' },
  /** A live-feed subscribe/unsubscribe has invalid fields (id, filter, versions). Error frame; the connection stays. */
  OL_ERR_WS_BAD_REQUEST: { retriable: false, summary: 'invalid feed request' },
  /** A live-feed client message exceeds the configured size. Error frame; the connection stays. */
  OL_ERR_WS_TOO_LARGE: { retriable: false, summary: 'feed message too large' },
  /**
   * A live-feed client sends messages faster than its connection's rate (`ORDERLAKE_WS_MAX_MESSAGES_PER_SECOND`,
   * with a burst allowance): the message is not acted on and one error frame says so; a client that
   * goes on sending as fast is closed with code 4029.
   */
  OL_ERR_WS_RATE_LIMITED: { retriable: true, summary: 'feed messages too frequent' },
  /**
   * A WebSocket upgrade beyond the feed's connection limits: 503 when the server holds
   * `ORDERLAKE_WS_MAX_CONNECTIONS`, 429 when the caller (token name) holds
   * `ORDERLAKE_WS_MAX_CONNECTIONS_PER_CLIENT`; plain HTTP with Retry-After, never an open socket.
   */
  OL_ERR_WS_TOO_MANY_CONNECTIONS: { retriable: true, summary: 'too many feed connections' },
  /** A subscription id is already in use, unknown, or the connection has too many subscriptions. Error frame. */
  OL_ERR_WS_SUBSCRIPTION: { retriable: false, summary: 'subscription refused' },
  /** A feed client stayed too slow to keep up (queue or time limit): closed with code 4008; reconnect and resume. */
  OL_ERR_WS_SLOW_CONSUMER: { retriable: true, summary: 'feed client too slow' },
  /** An HTTP request does not match its route's schema (parameters, query, body); the message says what is wrong. 400. */
  OL_ERR_HTTP_BAD_REQUEST: { retriable: false, summary: 'request does not match the API schema' },
  /**
   * An HTTP request over a size limit: a body over `ORDERLAKE_HTTP_BODY_LIMIT_BYTES` (413), a path
   * segment too long for any route (414), headers or URL over Node's header limit (431). Nothing of
   * it is read further.
   */
  OL_ERR_HTTP_TOO_LARGE: { retriable: false, summary: 'request too large' },
  /** An HTTP request or WebSocket upgrade carries no valid credential (missing, unknown, bad or expired JWT). 401. */
  OL_ERR_HTTP_UNAUTHORIZED: { retriable: false, summary: 'authentication required' },
  /** The caller is authenticated but its role does not allow the route. 403. */
  OL_ERR_HTTP_FORBIDDEN: { retriable: false, summary: 'role not allowed' },
  /** No such order (unknown or deleted), route or console file. 404. */
  OL_ERR_HTTP_NOT_FOUND: { retriable: false, summary: 'not found' },
  /** `POST /sql` refused a statement that is not a single read (a write, DDL, SET, KILL, INTO OUTFILE, …), or ClickHouse refused it in read-only mode. 403. */
  OL_ERR_SQL_REFUSED: { retriable: false, summary: 'only read-only SQL is allowed' },
  /**
   * `POST /sql` refused a query that reads personal data (a name, phone or address column, or a raw
   * payload, of a base table; or a table not yet classified) without the `pii` permission. 403; the
   * message names the masked view to read instead.
   */
  OL_ERR_SQL_PERSONAL_DATA: { retriable: false, summary: 'personal data needs the pii permission' },
  /** ClickHouse rejected an analyst query (syntax, unknown table or column, type error). 400 with ClickHouse's reason. */
  OL_ERR_SQL_INVALID: { retriable: false, summary: 'SQL query rejected by ClickHouse' },
  /** An analyst query exceeded a limit (`max_result_rows`, `max_execution_time`, memory). 400; narrow the query. */
  OL_ERR_SQL_LIMIT: { retriable: false, summary: 'SQL query exceeded a limit' },
  /** An unexpected failure while serving an HTTP request (a bug); logged with its stack. 500. */
  OL_ERR_HTTP_INTERNAL: { retriable: false, summary: 'internal error' },
  /**
   * `orderlake start` is still loading (answered by the early listener of bin/early-health.js before
   * the API takes the port over): 503 with Retry-After; `/health` already answers 200.
   */
  OL_ERR_HTTP_STARTING: { retriable: true, summary: 'starting' },
  /** A health rule file (`pipelines/rules/*.yaml`) does not match the rule schema, or two rules share a name. Fatal at startup. */
  OL_ERR_RULE_INVALID: { retriable: false, summary: 'rule file is invalid' },
  /** No exception case has that id in the engine asked (unknown, or held by another worker). 404 in the API. */
  OL_ERR_CASE_NOT_FOUND: { retriable: false, summary: 'no such case' },
  /**
   * An agent action does not fit the case's state (acknowledging a case that is not open, acting on
   * a resolved case, an empty assignee or comment). Nothing is recorded. 409 in the API.
   */
  OL_ERR_CASE_ACTION_REFUSED: { retriable: false, summary: 'case action not allowed in its state' },
  /**
   * A pipeline or rule file changed while running is invalid, or needs a restart (a pipeline's topic
   * or reader schema changed). Logged with each file, path and reason; the running version stays.
   */
  OL_ERR_CONFIG_RELOAD_REFUSED: { retriable: false, summary: 'live configuration change refused' },
  /**
   * `POST /admin/sandbox` while another sandbox run is going on in this process: runs go one at a
   * time (each reads the lake's history in batches, on a ClickHouse client of its own).
   * 409; try again when it is over.
   */
  OL_ERR_SANDBOX_BUSY: { retriable: true, summary: 'a sandbox run is already in progress' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where an input came from, attached to errors and dead letters. */
export interface InputContext {
  topic?: string;
  partition?: number;
  offset?: string;
  /** 1-based line number in a replay file. */
  line?: number;
  file?: string;
}

export class OrderlakeError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: InputContext & Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; context?: InputContext & Record<string, unknown>; retriable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrderlakeError';
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.context = options.context ?? {};
  }
}

export function isOrderlakeError(err: unknown): err is OrderlakeError {
  return err instanceof OrderlakeError;
}

/** Wraps anything thrown into an OrderlakeError with `code`, keeping the original as `cause`. */
export function toOrderlakeError(err: unknown, code: ErrorCode, context?: InputContext & Record<string, unknown>): OrderlakeError {
  if (err instanceof OrderlakeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OrderlakeError(code, message, { cause: err, context });
}
