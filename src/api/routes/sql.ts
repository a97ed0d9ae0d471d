import type { FastifyInstance } from 'fastify';
import { hasPermission, requireRole } from '../auth/index.js';
import { errorBodySchema } from '../http-error.js';
import type { AnalystSql, SqlFormat } from '../sql/analyst-sql.js';
import { MASKED_VIEWS } from '../../sinks/index.js';
import { bearerSecurity, protectedErrors } from './route-schemas.js';

/** Longest SQL text accepted, characters. */
export const MAX_SQL_LENGTH = 100_000;

/** `POST /sql`: read-only SQL for analysts. */
export function registerSqlRoutes(app: FastifyInstance, deps: { sql: AnalystSql; maxResultRows: number; maxExecutionSeconds: number }): void {
  app.post<{ Body: { query: string; format: SqlFormat } }>(
    '/sql',
    {
      onRequest: requireRole('analyst'),
      schema: {
        tags: ['sql'],
        summary: 'Run read-only SQL against the lake',
        description:
          'Runs one read statement (SELECT, WITH, or DESCRIBE of one table) with ClickHouse `readonly = 1`, ' +
          `\`max_execution_time = ${deps.maxExecutionSeconds}\` s and \`max_result_rows = ${deps.maxResultRows}\` ` +
          '(overflow mode `throw`: a larger result fails instead of being cut). Name tables with their database: ' +
          '`golden_orders`, `lake_events`, `pending_shipment_events`, `dead_letters`, `exception_cases`, the health views, ' +
          `and the masked views ${Object.values(MASKED_VIEWS).map((v) => `\`${v}\``).join(', ')} of the orderlake database. ` +
          'What a query reads is judged on ClickHouse\'s own analysis of it (EXPLAIN QUERY TREE: tables, columns, table ' +
          'functions, through subqueries, CTEs, joins and `*`). Personal data — customer and recipient names, phone numbers, ' +
          'addresses, free text and raw payloads (`golden_orders.customer_phone`, `ship_phone`, `view`; `lake_events.payload`; ' +
          '`pending_shipment_events.payload`; `dead_letters.value`, `value_json`, `reason`; `exception_cases.body`) — needs a ' +
          'token with the `pii` permission (admins hold it); without it such a read is refused with 403 ' +
          '`OL_ERR_SQL_PERSONAL_DATA` naming the masked view to read instead (phones as `138****1234`, names as `张**`, ' +
          'address lines and notes as `***`). For everyone: writes, DDL, SET, SETTINGS clauses, KILL, SHOW, EXPLAIN, EXISTS, ' +
          'INTO OUTFILE, table functions other than generators (file, url, s3, remote, mysql, postgresql, executable, input, ' +
          'merge, view, …), dictionary/joinGet/file functions, system tables (other than system.one and system.numbers/zeros), ' +
          'information_schema and other databases are refused with 403 `OL_ERR_SQL_REFUSED`; other ClickHouse errors answer ' +
          '400 with ClickHouse\'s reason. `JSONEachRow` answers NDJSON (one JSON object per line, `application/x-ndjson`), ' +
          '`CSV` answers CSV with a header row (`text/csv`).',
        security: bearerSecurity,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            query: { type: 'string', minLength: 1, maxLength: MAX_SQL_LENGTH, description: 'one SQL statement, without a FORMAT clause' },
            format: { type: 'string', enum: ['JSONEachRow', 'CSV'], default: 'JSONEachRow' },
          },
          required: ['query'],
        },
        response: {
          200: {
            description: 'The rows: NDJSON for JSONEachRow, CSV with a header row for CSV.',
            content: {
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...protectedErrors,
          403: { ...errorBodySchema, description: 'Wrong role; a statement that is not a single read or reads outside the orderlake database (`OL_ERR_SQL_REFUSED`); personal data without the `pii` permission (`OL_ERR_SQL_PERSONAL_DATA`).' },
        },
      },
    },
    async (request, reply) => {
      // requireRole ran first: the principal is there.
      const result = await deps.sql.run(request.body.query, request.body.format, { pii: hasPermission(request.principal!, 'pii') });
      return reply.header('content-type', result.contentType).send(result.body);
    },
  );
}
