import type { Logger } from 'pino';
import {
  DEFAULT_REPEAT_POLICY,
  classifyKafkajsLog,
  classifyRdkafkaError,
  classifyRdkafkaLog,
  createRepeatCounter,
  type LogVerdict,
  type RepeatPolicy,
} from './client-log-policy.js';
import { intervalTicker, type Ticker } from './consumer-lag-monitor.js';
import type { LibrdKafkaError, RdkafkaLogEvent } from './rdkafka-types.js';

/** A kafkajs log entry, as its `logCreator` hands it over. */
export interface KafkajsLogEntry {
  namespace?: string;
  level: number;
  label?: string;
  log: { message: string } & Record<string, unknown>;
}

/**
 * One process's Kafka client logs on the pino logger, classified by `client-log-policy.ts`: the
 * first line of a condition the client retries by itself at the condition's level, its repeats
 * at debug (counted), and a summary with the count when it clears. One per client library and
 * process, shared by all its consumers, producers and admins, so a broker restart is counted once.
 */
export interface KafkaClientLog {
  /** For kafkajs's `logCreator` option. */
  kafkajsLogCreator(): (entry: KafkajsLogEntry) => void;
  /** librdkafka's `event.log`. */
  rdkafkaLog(event: RdkafkaLogEvent, fields?: Record<string, unknown>): void;
  /** librdkafka's `event.error`; `message` says which client reported it. */
  rdkafkaError(err: LibrdKafkaError, fields: Record<string, unknown>, message: string): void;
  /** Logs the summaries still pending and stops the timer. */
  flush(): void;
  /**
   * The process is stopping: connections closing under requests in flight are expected, so
   * condition lines go to debug from now on. Errors an operator must act on still go out.
   */
  quiet(): void;
}

/** How often pending summaries are checked while a condition is counted, ms. */
const TICK_MS = 1000;

/** Fields of kafkajs lines that only repeat what the message says (`stack` of a refused connection, kafkajs's own timestamp). */
const NOISE = new Set(['stack', 'timestamp', 'logger']);

export function createKafkaClientLog(deps: {
  logger: Logger;
  /** Wall clock, ms. */
  now?: () => number;
  policy?: RepeatPolicy;
  /** Runs the summary checks while a condition is counted; unref'd timers by default. */
  ticker?: Ticker;
}): KafkaClientLog {
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  const ticker = deps.ticker ?? intervalTicker;
  const counter = createRepeatCounter(deps.policy ?? DEFAULT_REPEAT_POLICY);
  let stopTicking: (() => void) | null = null;
  let quiet = false;

  function report(at: number): void {
    for (const r of counter.due(at)) {
      logger[r.level]({ condition: r.condition, count: r.count, since: r.since, forMs: r.forMs, first: r.first }, r.message);
    }
    if (stopTicking && counter.active().length === 0) {
      stopTicking();
      stopTicking = null;
    }
  }

  function write(verdict: LogVerdict, fields: Record<string, unknown>, message: string): void {
    if (!verdict.condition) {
      logger[verdict.level](fields, message);
      return;
    }
    if (quiet) {
      logger.debug({ ...fields, condition: verdict.condition, stopping: true }, message);
      return;
    }
    if (counter.seen(verdict.condition, now(), message) === 'repeat') {
      logger.debug({ ...fields, condition: verdict.condition, repeat: true }, message);
      return;
    }
    logger[verdict.level]({ ...fields, condition: verdict.condition, repeats: 'counted until it clears' }, message);
    // Unref'd (intervalTicker): summaries never keep a process alive that is otherwise done.
    stopTicking ??= ticker.every(TICK_MS, async () => report(now()));
  }

  return {
    kafkajsLogCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rest)) if (!NOISE.has(k)) fields[k] = v;
      if (entry.namespace) fields.namespace = entry.namespace;
      write(classifyKafkajsLog({ level: entry.level, message, error: rest.error }), fields, message);
    },
    rdkafkaLog(event, fields = {}) {
      write(classifyRdkafkaLog(event), { ...fields, facility: event.fac }, event.message ?? '');
    },
    rdkafkaError(err, fields, message) {
      write(classifyRdkafkaError(err), { ...fields, err }, message);
    },
    flush() {
      report(Number.POSITIVE_INFINITY);
    },
    quiet() {
      quiet = true;
    },
  };
}
