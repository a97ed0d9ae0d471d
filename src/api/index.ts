/** The HTTP API stage: fastify server, routes, auth. */
export { createApiServer, type ApiDeps } from './server.js';
export type { Readiness } from './routes/ops.js';
export { HttpError, type ErrorBody } from './http-error.js';
export { createAnalystSql, type AnalystSql, type AnalystSqlOptions, type SqlFormat } from './sql/analyst-sql.js';
export * from './auth/index.js';
