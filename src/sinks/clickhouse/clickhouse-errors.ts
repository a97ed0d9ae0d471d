import { ClickHouseError } from '@clickhouse/client';
import { isTransientNetworkError } from '../../retry.js';
import { OrderlakeError } from '../../errors.js';

/**
 * Server error codes that describe the server's state, not the statement: the same insert can
 * succeed a moment later (overload, too many parts, memory pressure, replica or Keeper trouble).
 * Everything else — syntax, types, unparsable rows, unknown tables — fails the same way again.
 */
const TRANSIENT_SERVER_CODES = new Set([
  '3', // UNEXPECTED_END_OF_FILE: body cut off in transit
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY (a replica briefly read-only)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

/** Whether a failed ClickHouse call is worth repeating unchanged. */
export function isRetriableClickHouseError(err: unknown): boolean {
  if (err instanceof ClickHouseError) return TRANSIENT_SERVER_CODES.has(err.code);
  return isTransientNetworkError(err);
}

/** Wraps a ClickHouse failure as `OL_ERR_CLICKHOUSE`, retriable only when the failure is transient. */
export function toClickHouseError(err: unknown, message: string, context: Record<string, unknown> = {}): OrderlakeError {
  if (err instanceof OrderlakeError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new OrderlakeError('OL_ERR_CLICKHOUSE', `${message}: ${detail}`, {
    cause: err,
    retriable: isRetriableClickHouseError(err),
    context: { ...context, ...(err instanceof ClickHouseError ? { clickhouseCode: err.code, clickhouseType: err.type } : {}) },
  });
}
