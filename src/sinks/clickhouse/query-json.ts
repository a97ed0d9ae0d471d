import type { ClickHouseClient } from '@clickhouse/client';
import { toClickHouseError } from './clickhouse-errors.js';

/**
 * Runs a SELECT and returns its rows as objects. 64-bit integers arrive as numbers from chDB but
 * as strings from a server (and from chDB too once any query set
 * `output_format_json_quote_64bit_integers`: chDB keeps per-query settings for the whole session),
 * so callers read such columns through `Number()`.
 */
export async function queryJson<Row>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<Row[]> {
  try {
    const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return await result.json<Row>();
  } catch (err) {
    throw toClickHouseError(err, 'query failed', { query: query.replace(/\s+/g, ' ').slice(0, 200) });
  }
}
