import type { FastifyInstance } from 'fastify';
import { requireRole } from '../auth/index.js';
import { errorBodySchema } from '../http-error.js';
import type { AnalystSql, SqlFormat } from '../sql/analyst-sql.js';
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
          'Runs one read statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) with ClickHouse `readonly = 1`, ' +
          `\`max_execution_time = ${deps.maxExecutionSeconds}\` s and \`max_result_rows = ${deps.maxResultRows}\` ` +
          '(overflow mode `throw`: a larger result fails instead of being cut). Tables: `golden_orders`, `lake_events`, ' +
          '`dead_letters` in the orderlake database. `JSONEachRow` answers NDJSON (one JSON object per line, ' +
          '`application/x-ndjson`), `CSV` answers CSV with a header row (`text/csv`). Writes, DDL, SET, SETTINGS clauses, ' +
          'KILL and INTO OUTFILE are refused with 403; other ClickHouse errors answer 400 with ClickHouse\'s reason.',
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
          403: { ...errorBodySchema, description: 'Wrong role, or a statement that is not a single read.' },
        },
      },
    },
    async (request, reply) => {
      const result = await deps.sql.run(request.body.query, request.body.format);
      return reply.header('content-type', result.contentType).send(result.body);
    },
  );
}
