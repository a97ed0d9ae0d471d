/**
 * What a Kafka client's log line means to an operator, whichever client wrote it (kafkajs's
 * logCreator, librdkafka's `event.log` and `event.error`). Pure: no logger, no clock.
 *
 * - A *condition* is something the client retries and recovers from by itself (a broker
 *   restarting, a coordinator loading, a group rebalancing). Its first line is logged at the
 *   condition's level, its repeats are counted, and one summary with the count follows when it
 *   clears (or every `reportEveryMs` while it lasts): a broker restart is a few lines, not a hundred.
 * - A condition that lasts past `escalateAfterMs` is reported at error: someone must look.
 * - Anything else keeps the client's own verdict: an error is something an operator must act on
 *   (authentication, authorization, a message too large, a fatal producer error, an unknown error).
 */

export type LogLevelName = 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Conditions Kafka clients retry by themselves. */
export type KafkaCondition = 'connection' | 'leadership' | 'coordinator' | 'rebalance' | 'consumer-restart';

export interface LogVerdict {
  level: LogLevelName;
  /** Set when the line reports a condition the client recovers from by itself. */
  condition?: KafkaCondition;
}

/** Each condition's level, and what it means, for the summary line. */
export const CONDITIONS: Record<KafkaCondition, { level: 'warn' | 'info'; means: string }> = {
  connection: { level: 'warn', means: 'Kafka broker unreachable or connection lost; the client reconnects by itself' },
  leadership: { level: 'warn', means: 'partition leadership or metadata moving (a broker restarting); the client refreshes metadata and retries' },
  'consumer-restart': { level: 'warn', means: 'a kafkajs consumer stopped on another retriable error and restarts by itself' },
  coordinator: { level: 'info', means: 'group coordinator loading or moving (broker start-up or restart); the client retries' },
  rebalance: { level: 'info', means: 'consumer group rebalancing; its members re-join' },
};

const CONNECTION =
  /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Connection error|Connection timeout|Closed connection|connection (?:was )?closed|No broker available|Failed to connect to (?:seed )?broker|Broker not connected|socket hang up|Request timed out|brokers are down|broker connections are down|Connect to .* failed|Connection refused|transport failure|host resolution failure|Disconnected|Receive failed|Send failed|timed out/i;
const LEADERSHIP =
  /no leader for this topic-partition|new leader.* not found in cache|not the leader for (?:that|this) topic-partition|leadership election|LEADER_NOT_AVAILABLE|NOT_LEADER|does not host this topic-partition|Not enough in-sync replicas|NOT_ENOUGH_REPLICAS|stale metadata|Metadata not loaded|KafkaJSMetadataNotLoaded/i;
const COORDINATOR =
  /coordinator is loading|coordinator is not available|not the correct coordinator|coordinator not available|\bnot coordinator\b|Coordinator load in progress|COORDINATOR_LOAD_IN_PROGRESS|COORDINATOR_NOT_AVAILABLE|NOT_COORDINATOR/i;
const REBALANCE =
  /group is rebalancing|rejoin is needed|re-joining|not aware of this member|generation id is not valid|REBALANCE_IN_PROGRESS|UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|resync group/i;
/** Errors retrying cannot fix: the operator must change something. Checked first. */
const MUST_ACT =
  /SASL|authenticat|authoriz|SSL|certificate|MESSAGE_TOO_LARGE|larger than the max message size|INVALID_REPLICATION_FACTOR|UNSUPPORTED_VERSION|does not support|TOPIC_AUTHORIZATION|GROUP_AUTHORIZATION|CLUSTER_AUTHORIZATION|KafkaJSNonRetriableError/i;

/**
 * The condition `text` reports, if any, the most specific first. A kafkajs consumer crash ("Crash:
 * <error>", after which kafkajs restarts the consumer when the error is retriable) counts as its
 * cause: a coordinator still loading at start-up is routine, a refused connection is the outage.
 */
export function conditionOf(text: string): KafkaCondition | undefined {
  if (MUST_ACT.test(text)) return undefined;
  const crash = /^Crash: ([\s\S]*)$/.exec(text);
  if (crash) return causeOf(crash[1]!) ?? 'consumer-restart';
  return causeOf(text);
}

function causeOf(text: string): KafkaCondition | undefined {
  if (COORDINATOR.test(text)) return 'coordinator';
  if (REBALANCE.test(text)) return 'rebalance';
  if (LEADERSHIP.test(text)) return 'leadership';
  if (CONNECTION.test(text)) return 'connection';
  return undefined;
}

/** kafkajs's `logLevel` numbers (kafkajs exports them as `logLevel`). */
export const KAFKAJS_LEVEL = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 } as const;

/**
 * A kafkajs log line (its `level`, `log.message`, and `log.error` when it is a failed response).
 * kafkajs logs every retried failure at error — each failed connection attempt, each response
 * while a coordinator loads — so its level says little; the text says what happened.
 */
export function classifyKafkajsLog(entry: { level: number; message: string; error?: unknown }): LogVerdict {
  const text = entry.error === undefined ? entry.message : `${entry.message}: ${String(entry.error)}`;
  if (entry.level <= KAFKAJS_LEVEL.WARN) {
    // Always follows a "Crash: <cause>" line, which carries the cause and is counted; when kafkajs
    // does not restart, the adapter says so at error.
    if (/^Restarting the consumer in/.test(text)) return { level: 'debug' };
    // Said once per idempotent producer: its retries are bounded (the client's `retry.retries`);
    // a batch that still fails is retried whole by the caller, and the merge de-duplicates.
    if (/Limiting retries for the idempotent producer/.test(text)) return { level: 'info' };
    const condition = conditionOf(text);
    if (condition) return { level: CONDITIONS[condition].level, condition };
    return { level: entry.level <= KAFKAJS_LEVEL.ERROR ? 'error' : 'warn' };
  }
  // kafkajs's info lines ("Starting", "Consumer has joined the group", pauses) are detail: the
  // adapters log what an operator needs (partitions assigned, revoked) themselves.
  return { level: entry.level === KAFKAJS_LEVEL.INFO ? 'debug' : 'trace' };
}

/**
 * A librdkafka log line (`event.log`, syslog severity 0 emergency … 7 debug, and a facility such
 * as FAIL, ERROR, REQTMOUT, COORD). librdkafka logs a refused connection at severity 3 (error).
 */
export function classifyRdkafkaLog(event: { severity?: number; fac?: string; message?: string }): LogVerdict {
  const severity = event.severity ?? 7;
  if (severity >= 5) return { level: 'debug' };
  const text = `${event.fac ?? ''} ${event.message ?? ''}`;
  const condition = conditionOf(text);
  if (condition) return { level: CONDITIONS[condition].level, condition };
  return { level: severity <= 3 ? 'error' : 'warn' };
}

/** librdkafka error codes (node-rdkafka `CODES.ERRORS`) of conditions it retries by itself. */
const RDKAFKA_CONDITIONS: ReadonlyMap<number, KafkaCondition> = new Map([
  [-195, 'connection'], // ERR__TRANSPORT
  [-187, 'connection'], // ERR__ALL_BROKERS_DOWN
  [-193, 'connection'], // ERR__RESOLVE
  [-185, 'connection'], // ERR__TIMED_OUT
  [-166, 'connection'], // ERR__TIMED_OUT_QUEUE
  [7, 'connection'], // ERR_REQUEST_TIMED_OUT
  [13, 'connection'], // ERR_NETWORK_EXCEPTION
  [5, 'leadership'], // ERR_LEADER_NOT_AVAILABLE
  [6, 'leadership'], // ERR_NOT_LEADER_FOR_PARTITION
  [19, 'leadership'], // ERR_NOT_ENOUGH_REPLICAS
  [-190, 'leadership'], // ERR__UNKNOWN_PARTITION
  [14, 'coordinator'], // ERR_COORDINATOR_LOAD_IN_PROGRESS
  [15, 'coordinator'], // ERR_COORDINATOR_NOT_AVAILABLE
  [16, 'coordinator'], // ERR_NOT_COORDINATOR
  [27, 'rebalance'], // ERR_REBALANCE_IN_PROGRESS
  [25, 'rebalance'], // ERR_UNKNOWN_MEMBER_ID
  [22, 'rebalance'], // ERR_ILLEGAL_GENERATION
]);

/** ERR__DESTROY: the client is being closed (shutdown), not a failure. */
const RDKAFKA_DESTROY = -197;

/**
 * A librdkafka error event (`event.error`). Non-fatal errors are ones librdkafka retries; the
 * known transient ones are conditions, the others warnings; a fatal error (the client cannot go on)
 * and authentication or authorization failures are errors.
 */
export function classifyRdkafkaError(err: { code?: number; message?: string; isFatal?: boolean }): LogVerdict {
  if (err.isFatal) return { level: 'error' };
  // node-rdkafka hands `event.error` over as code -1 and librdkafka's text in lower case ("all
  // broker connections are down", "broker transport failure"): the text is what tells.
  if (err.code === RDKAFKA_DESTROY || /broker handle destroyed/i.test(err.message ?? '')) return { level: 'debug' };
  const text = err.message ?? '';
  if (MUST_ACT.test(text)) return { level: 'error' };
  const condition = (err.code !== undefined ? RDKAFKA_CONDITIONS.get(err.code) : undefined) ?? conditionOf(text);
  if (condition) return { level: CONDITIONS[condition].level, condition };
  return { level: 'warn' };
}

export interface RepeatPolicy {
  /** A condition not seen for this long has cleared: its summary is logged, ms. */
  quietMs: number;
  /** While a condition lasts, a summary of its repeats at most this often, ms. */
  reportEveryMs: number;
  /** A condition lasting this long is reported at error, ms. */
  escalateAfterMs: number;
}

/** 10 s quiet: kafkajs's reconnect back-off leaves up to a few seconds between failures while a broker is down. */
export const DEFAULT_REPEAT_POLICY: RepeatPolicy = { quietMs: 10_000, reportEveryMs: 30_000, escalateAfterMs: 120_000 };

/** A summary line about one condition. */
export interface RepeatReport {
  condition: KafkaCondition;
  level: 'error' | 'warn' | 'info';
  message: string;
  /** Occurrences since the condition started, the first included. */
  count: number;
  /** Occurrences since the previous report. */
  since: number;
  /** From the first occurrence to the last, ms. */
  forMs: number;
  cleared: boolean;
  /** The first line of the condition, as the client wrote it. */
  first: string;
}

interface Active {
  startedAt: number;
  lastAt: number;
  count: number;
  reportedCount: number;
  reportedAt: number;
  first: string;
}

/**
 * Counts repeats of conditions. `seen` says whether a line is the first of its condition (log it)
 * or a repeat (count it); `due` gives the summaries due at `at`, clearing quiet conditions. Time
 * is passed in: the caller's clock drives it.
 */
export function createRepeatCounter(policy: RepeatPolicy = DEFAULT_REPEAT_POLICY) {
  const active = new Map<KafkaCondition, Active>();

  function summary(condition: KafkaCondition, a: Active, at: number, cleared: boolean): RepeatReport {
    const forMs = a.lastAt - a.startedAt;
    const escalated = at - a.startedAt >= policy.escalateAfterMs && !cleared;
    const level = escalated ? 'error' : CONDITIONS[condition].level;
    const seconds = (forMs / 1000).toFixed(1);
    const message = cleared
      ? `Kafka client recovered: ${CONDITIONS[condition].means}; seen ${a.count} times over ${seconds} s, not since`
      : `Kafka client still retrying${escalated ? ` for over ${Math.round(policy.escalateAfterMs / 1000)} s: check the brokers` : ''}: ${CONDITIONS[condition].means}; seen ${a.count} times over ${seconds} s`;
    return { condition, level, message, count: a.count, since: a.count - a.reportedCount, forMs, cleared, first: a.first };
  }

  return {
    /** Records one line of `condition`; `'first'` when it starts the condition (log it), else `'repeat'`. */
    seen(condition: KafkaCondition, at: number, text: string): 'first' | 'repeat' {
      const a = active.get(condition);
      if (!a) {
        active.set(condition, { startedAt: at, lastAt: at, count: 1, reportedCount: 1, reportedAt: at, first: text });
        return 'first';
      }
      a.count++;
      a.lastAt = Math.max(a.lastAt, at);
      return 'repeat';
    },
    /** Summaries due at `at`: cleared conditions (with more than their first line), and long ones every `reportEveryMs`. */
    due(at: number): RepeatReport[] {
      const reports: RepeatReport[] = [];
      for (const [condition, a] of active) {
        if (at - a.lastAt >= policy.quietMs) {
          active.delete(condition);
          // A lone line needs no summary: it was logged as it came.
          if (a.count > 1) reports.push(summary(condition, a, at, true));
        } else if (at - a.reportedAt >= policy.reportEveryMs && a.count > a.reportedCount) {
          reports.push(summary(condition, a, at, false));
          a.reportedAt = at;
          a.reportedCount = a.count;
        }
      }
      return reports;
    },
    /** Conditions currently counted. */
    active: (): KafkaCondition[] => [...active.keys()],
  };
}

export type RepeatCounter = ReturnType<typeof createRepeatCounter>;
