import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { OrderlakeError } from '../../../src/errors.js';
import { isRetriableClickHouseError, toClickHouseError } from '../../../src/sinks/index.js';

const serverError = (code: string, type: string): ClickHouseError => new ClickHouseError({ message: `Code: ${code}. ${type}`, code, type });

describe('ClickHouse error classification', () => {
  it('retries server states that pass', () => {
    expect(isRetriableClickHouseError(serverError('252', 'TOO_MANY_PARTS'))).toBe(true);
    expect(isRetriableClickHouseError(serverError('241', 'MEMORY_LIMIT_EXCEEDED'))).toBe(true);
    expect(isRetriableClickHouseError(serverError('202', 'TOO_MANY_SIMULTANEOUS_QUERIES'))).toBe(true);
  });

  it('does not retry statements that will fail again', () => {
    expect(isRetriableClickHouseError(serverError('60', 'UNKNOWN_TABLE'))).toBe(false);
    expect(isRetriableClickHouseError(serverError('62', 'SYNTAX_ERROR'))).toBe(false);
    expect(isRetriableClickHouseError(serverError('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'))).toBe(false);
    expect(isRetriableClickHouseError(new Error('something else'))).toBe(false);
  });

  it('retries network failures of a remote server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
    expect(isRetriableClickHouseError(refused)).toBe(true);
  });

  it('wraps failures as OL_ERR_CLICKHOUSE with the server code and the retry decision', () => {
    const wrapped = toClickHouseError(serverError('252', 'TOO_MANY_PARTS'), 'insert failed', { table: 't' });
    expect(wrapped).toBeInstanceOf(OrderlakeError);
    expect(wrapped).toMatchObject({
      code: 'OL_ERR_CLICKHOUSE',
      retriable: true,
      context: { table: 't', clickhouseCode: '252', clickhouseType: 'TOO_MANY_PARTS' },
    });
    expect(wrapped.message).toContain('insert failed');
    expect(toClickHouseError(serverError('60', 'UNKNOWN_TABLE'), 'x').retriable).toBe(false);
    const already = new OrderlakeError('OL_ERR_MIGRATION', 'kept');
    expect(toClickHouseError(already, 'x')).toBe(already);
  });
});
