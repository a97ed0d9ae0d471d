import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { OrderlakeError } from '../../errors.js';
import { toClickHouseError } from '../../sinks/index.js';
import { HttpError } from '../http-error.js';
import { refusalReason } from './statement-guard.js';

export type SqlFormat = 'JSONEachRow' | 'CSV';

export interface SqlResult {
  body: string;
  contentType: string;
}

/** Read-only SQL for analysts, with limits. */
export interface AnalystSql {
  run(query: string, format: SqlFormat): Promise<SqlResult>;
}

export interface AnalystSqlOptions {
  /**
   * Opens a client for one analyst query; it is closed when the query is done. Never the
   * pipeline's client: chDB applies per-query settings with `SET` on its session, where they stay
   * (the pipeline would turn read-only), and a query that fails half-way leaves its partial output
   * in the session, prepended to the next answer. A fresh chDB session per query (about 1.5 ms
   * here) isolates both; against a server, a new client per query costs a connection.
   */
  openClient: () => ClickHouseClient;
  /** ClickHouse `max_execution_time`, seconds. */
  maxExecutionSeconds: number;
  /** ClickHouse `max_result_rows`; a larger result fails (overflow mode `throw`) rather than being cut. */
  maxResultRows: number;
}

const OUTPUT: Record<SqlFormat, { clickhouse: string; contentType: string }> = {
  JSONEachRow: { clickhouse: 'JSONEachRow', contentType: 'application/x-ndjson; charset=utf-8' },
  CSV: { clickhouse: 'CSVWithNames', contentType: 'text/csv; charset=utf-8' },
};

/** ClickHouse error codes of a refused statement (read-only mode, access, setting constraints). */
const REFUSED = new Set(['164', '452', '497']);
/** ClickHouse error codes of an exceeded limit (rows, bytes, time, memory). */
const LIMITED = new Set(['158', '159', '160', '241', '396']);

/** ClickHouse server errors carry a numeric code (chDB's too); socket errors carry `ECONNREFUSED` and the like. */
function clickHouseCode(err: unknown): string | null {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^\d+$/.test(code) ? code : null;
}

function toSqlError(err: unknown): Error {
  if (err instanceof OrderlakeError) return err;
  const code = clickHouseCode(err);
  if (code === null) return toClickHouseError(err, 'analyst query failed');
  const reason = (err as Error).message.trim();
  if (REFUSED.has(code)) return new HttpError(403, 'OL_ERR_SQL_REFUSED', `refused by ClickHouse: ${reason}`, { cause: err });
  if (LIMITED.has(code)) return new HttpError(400, 'OL_ERR_SQL_LIMIT', `limit exceeded: ${reason}`, { cause: err });
  return new HttpError(400, 'OL_ERR_SQL_INVALID', `ClickHouse rejected the query: ${reason}`, { cause: err });
}

/**
 * Runs analyst SQL with ClickHouse settings `readonly = 1` (so ClickHouse itself refuses writes,
 * DDL and any settings change, `SETTINGS` clauses included), `max_execution_time` and
 * `max_result_rows` with overflow mode `throw`. The statement is first parsed by ClickHouse
 * (`formatQuerySingleLine`, same settings) and checked by {@link refusalReason}: chDB runs
 * multi-statement text, `KILL QUERY` and `INTO OUTFILE` even in read-only mode.
 * `readonly` is listed last: chDB applies the settings in order, and once it is set no other
 * setting can follow. Each query runs on its own client ({@link AnalystSqlOptions.openClient}).
 */
export function createAnalystSql(options: AnalystSqlOptions): AnalystSql {
  const settings: ClickHouseSettings = {
    max_execution_time: options.maxExecutionSeconds,
    max_result_rows: String(options.maxResultRows),
    result_overflow_mode: 'throw',
    readonly: '1',
  };
  async function canonical(client: ClickHouseClient, query: string): Promise<string> {
    try {
      const result = await client.query({
        query: 'SELECT formatQuerySingleLine({statement:String}) AS statement',
        query_params: { statement: query },
        format: 'JSONEachRow',
        clickhouse_settings: settings,
      });
      const rows = await result.json<{ statement: string }>();
      return rows[0]?.statement ?? '';
    } catch (err) {
      throw toSqlError(err);
    }
  }

  return {
    async run(query, format) {
      const client = options.openClient();
      try {
        const reason = refusalReason(await canonical(client, query));
        if (reason !== null) throw new HttpError(403, 'OL_ERR_SQL_REFUSED', reason);
        const output = OUTPUT[format];
        try {
          const result = await client.query({ query, format: output.clickhouse as 'JSONEachRow', clickhouse_settings: settings });
          return { body: await result.text(), contentType: output.contentType };
        } catch (err) {
          throw toSqlError(err);
        }
      } finally {
        await client.close();
      }
    },
  };
}
