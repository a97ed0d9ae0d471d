import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { OrderlakeError } from '../../errors.js';
import { toClickHouseError } from '../../sinks/index.js';
import { HttpError } from '../http-error.js';
import { QueryTreeUnreadable, readQueryTree } from './query-tree.js';
import { describeRefusal, readRefusal } from './read-policy.js';
import { readKind, refusalReason } from './statement-guard.js';

export type SqlFormat = 'JSONEachRow' | 'CSV';

export interface SqlResult {
  body: string;
  contentType: string;
}

/** Who runs a query, as far as analyst SQL cares. */
export interface SqlAccess {
  /** The caller may read personal data (the `pii` permission, or an admin). */
  pii: boolean;
}

/** Read-only SQL for analysts, with limits. */
export interface AnalystSql {
  run(query: string, format: SqlFormat, access: SqlAccess): Promise<SqlResult>;
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
  /** The orderlake database: the only one analysts read. */
  database: string;
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

/**
 * ClickHouse errors whose messages carry no values of the data: names, types, the query's own
 * text, limits. Analysis evaluates scalar subqueries before orderlake sees what the query reads,
 * so another error of the analysis (a failed conversion, say) could quote a value read from a
 * personal-data column; callers without `pii` get such messages withheld.
 */
const VALUE_FREE = new Set([
  '16', '36', '42', '43', '44', '46', '47', '48', '60', '62', '81', '179', '184', '215', '352',
  ...REFUSED, ...LIMITED,
]);

function toSqlError(err: unknown, withhold = false): Error {
  if (err instanceof OrderlakeError) return err;
  const code = clickHouseCode(err);
  if (code === null) return toClickHouseError(err, 'analyst query failed');
  if (withhold && !VALUE_FREE.has(code)) {
    return new HttpError(
      400,
      'OL_ERR_SQL_INVALID',
      `ClickHouse rejected the query while analysing it (error code ${code}); the message is withheld from callers without ` +
        'the pii permission, since analysis runs scalar subqueries and the message may quote values they read',
      { cause: err },
    );
  }
  const reason = (err as Error).message.trim();
  if (REFUSED.has(code)) return new HttpError(403, 'OL_ERR_SQL_REFUSED', `refused by ClickHouse: ${reason}`, { cause: err });
  if (LIMITED.has(code)) return new HttpError(400, 'OL_ERR_SQL_LIMIT', `limit exceeded: ${reason}`, { cause: err });
  return new HttpError(400, 'OL_ERR_SQL_INVALID', `ClickHouse rejected the query: ${reason}`, { cause: err });
}

/**
 * Runs analyst SQL with ClickHouse settings `readonly = 1` (so ClickHouse itself refuses writes,
 * DDL and any settings change, `SETTINGS` clauses included), `max_execution_time` and
 * `max_result_rows` with overflow mode `throw`. Each statement goes through three checks before
 * it runs, all on ClickHouse's own reading of it, never on the text as sent:
 * 1. ClickHouse formats it (`formatQuerySingleLine`, same settings) and {@link refusalReason}
 *    allows SELECT, WITH and DESCRIBE only: chDB runs multi-statement text, `KILL QUERY` and
 *    `INTO OUTFILE` even in read-only mode. The formatted text is what runs from then on.
 * 2. A query is analysed (`EXPLAIN QUERY TREE`): the tables, columns, table functions and
 *    functions it reads, through subqueries, CTEs, joins, `*` and folded scalar subqueries
 *    ({@link readQueryTree}); {@link readRefusal} then allows only tables of the orderlake
 *    database, generator table functions, and — without `pii` — no personal-data column of a base
 *    table. A DESCRIBE is parsed (`EXPLAIN AST`) and must name one table of the database.
 * 3. It runs, on a fresh client: the checks ran on one of their own, without the result-row limit.
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
  // EXPLAIN answers a row per line: the result-row limit is for the query, not its analysis. The
  // checks therefore run on a client of their own (chDB keeps settings on the session, and
  // read-only mode forbids changing them afterwards).
  const { max_result_rows: _rows, result_overflow_mode: _mode, ...analysisSettings } = settings;
  async function canonical(client: ClickHouseClient, query: string): Promise<string> {
    try {
      const result = await client.query({
        query: 'SELECT formatQuerySingleLine({statement:String}) AS statement',
        query_params: { statement: query },
        format: 'JSONEachRow',
        clickhouse_settings: analysisSettings,
      });
      const rows = await result.json<{ statement: string }>();
      return rows[0]?.statement ?? '';
    } catch (err) {
      throw toSqlError(err);
    }
  }

  /** ClickHouse's `EXPLAIN <what>` of a statement, one string per line. */
  async function explain(client: ClickHouseClient, what: 'QUERY TREE' | 'AST', statement: string, access: SqlAccess): Promise<string[]> {
    try {
      const result = await client.query({ query: `EXPLAIN ${what} ${statement}`, format: 'JSONEachRow', clickhouse_settings: analysisSettings });
      // The client appends its FORMAT clause, which ClickHouse attaches to the explained DESCRIBE
      // rather than to EXPLAIN: rows then come as plain JSON strings instead of `{ explain }`.
      return (await result.json<{ explain: string } | string>()).map((row) => (typeof row === 'string' ? row : row.explain));
    } catch (err) {
      throw toSqlError(err, !access.pii);
    }
  }

  async function check(client: ClickHouseClient, statement: string, access: SqlAccess): Promise<void> {
    const reason = refusalReason(statement);
    if (reason !== null) throw new HttpError(403, 'OL_ERR_SQL_REFUSED', reason);
    if (readKind(statement) === 'describe') {
      const refusal = describeRefusal(await explain(client, 'AST', statement, access), options.database);
      if (refusal !== null) throw new HttpError(403, refusal.code, refusal.message);
      return;
    }
    let reads;
    try {
      reads = readQueryTree(await explain(client, 'QUERY TREE', statement, access));
    } catch (err) {
      if (!(err instanceof QueryTreeUnreadable)) throw err;
      throw new HttpError(403, 'OL_ERR_SQL_REFUSED', `ClickHouse's analysis of the query could not be read with certainty (${err.message}); rename odd aliases`, { cause: err });
    }
    const refusal = readRefusal(reads, { database: options.database, pii: access.pii });
    if (refusal !== null) throw new HttpError(403, refusal.code, refusal.message);
  }

  return {
    async run(query, format, access) {
      let statement: string;
      const checker = options.openClient();
      try {
        statement = await canonical(checker, query);
        await check(checker, statement, access);
      } finally {
        await checker.close();
      }
      const client = options.openClient();
      try {
        const output = OUTPUT[format];
        try {
          const result = await client.query({ query: statement, format: output.clickhouse as 'JSONEachRow', clickhouse_settings: settings });
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
