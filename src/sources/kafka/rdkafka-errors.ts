import { OrderlakeError, type InputContext } from '../../errors.js';
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

/** librdkafka syslog severities (0 emergency … 7 debug) onto pino levels. */
export function logRdkafkaEvent(
  logger: { error: (o: object, m: string) => void; warn: (o: object, m: string) => void; debug: (o: object, m: string) => void },
  event: RdkafkaLogEvent,
): void {
  const severity = event.severity ?? 7;
  const line = { facility: event.fac };
  const message = event.message ?? '';
  if (severity <= 3) logger.error(line, message);
  else if (severity === 4) logger.warn(line, message);
  else logger.debug(line, message);
}
