import { OrderlakeError, type InputContext } from '../../errors.js';
import { classifyRdkafkaLog } from './client-log-policy.js';
import type { LibrdKafkaError, RdkafkaLogEvent } from './rdkafka-types.js';

/** Whether `err` is a librdkafka error with `code` (node-rdkafka throws and reports plain objects for them). */
export function hasRdkafkaCode(err: unknown, code: number): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

/** A librdkafka failure as an OL_ERR_KAFKA error, keeping librdkafka's own verdict on retrying. */
export function fromRdkafkaError(err: unknown, what: string, context?: InputContext & Record<string, unknown>): OrderlakeError {
  const e = err as Partial<LibrdKafkaError> | undefined;
  const message = e?.message ?? String(err);
  return new OrderlakeError('OL_ERR_KAFKA', `${what}: ${message}`, {
    cause: err,
    context: { ...context, ...(e?.code !== undefined ? { rdkafkaCode: e.code } : {}) },
    ...(e?.isFatal ? { retriable: false } : {}),
  });
}

/**
 * One librdkafka log line onto a pino level, by what it means (`classifyRdkafkaLog`): a refused
 * connection, which librdkafka logs at severity 3, is a warning. Repeats are not counted here; the
 * adapters log through `createKafkaClientLog`, which counts them.
 */
export function logRdkafkaEvent(
  logger: Record<'error' | 'warn' | 'info' | 'debug' | 'trace', (o: object, m: string) => void>,
  event: RdkafkaLogEvent,
): void {
  const verdict = classifyRdkafkaLog(event);
  logger[verdict.level]({ facility: event.fac, ...(verdict.condition ? { condition: verdict.condition } : {}) }, event.message ?? '');
}
