import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-error.js';

/**
 * Refuses a non-finite number in the query string or path after schema validation. Ajv coerces a
 * string such as `1e309` to `Infinity` and then skips `minimum`/`maximum` (they apply to finite
 * numbers only), so `?limit=1e309` would pass as a valid integer and reach ClickHouse. Only
 * parameters the schema types as numbers are numbers by then, so text parameters are untouched.
 */
export function installFiniteNumberGuard(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    for (const [where, values] of [
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      if (typeof values !== 'object' || values === null) continue;
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          throw new HttpError(400, 'OL_ERR_HTTP_BAD_REQUEST', `${where}/${name} must be a finite number`);
        }
      }
    }
  });
}
