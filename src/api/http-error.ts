import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { OrderlakeError, type ErrorCode } from '../errors.js';

/** An error the API answers with a given status; `code` comes from the one error table. */
export class HttpError extends OrderlakeError {
  readonly statusCode: number;

  constructor(statusCode: number, code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

/** Every error body the API sends: the error-table code and a sentence for a human. */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

/** JSON schema of {@link ErrorBody}, for route response schemas and the OpenAPI document. */
export const errorBodySchema = {
  type: 'object',
  description: 'An error: `error` is a code from the error table (src/errors.ts), `message` says what went wrong.',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const;

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** "querystring/limit must be <= 500", with the allowed values spelled out for enums. */
function validationMessage(err: FastifyError): string {
  const context = err.validationContext ?? 'request';
  const issues = (err.validation ?? []) as ValidationIssue[];
  if (issues.length === 0) return err.message;
  return issues
    .map((issue) => {
      const where = `${context}${issue.instancePath ?? ''}`;
      const extra = Array.isArray(issue.params?.allowedValues) ? `: ${(issue.params.allowedValues as unknown[]).join(', ')}` : '';
      const property = typeof issue.params?.additionalProperty === 'string' ? ` (${issue.params.additionalProperty})` : '';
      return `${where} ${issue.message ?? 'is invalid'}${extra}${property}`;
    })
    .join('; ');
}

/**
 * One error and not-found handler for the whole API, so every failure is a JSON {@link ErrorBody}:
 * schema violations 400 with what is wrong, transient ClickHouse failures 503, anything else 500
 * (logged with its stack; no internals in the answer).
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'OL_ERR_HTTP_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });
  app.setErrorHandler((err: FastifyError | OrderlakeError | Error, request, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.statusCode).send({ error: err.code, message: err.message });
    }
    if ('code' in err && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit;
      return reply.code(413).send({ error: 'OL_ERR_HTTP_TOO_LARGE', message: `request body over the limit of ${limit} bytes` });
    }
    if ('validation' in err && err.validation !== undefined) {
      return reply.code(400).send({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: validationMessage(err) });
    }
    if (err instanceof OrderlakeError && err.retriable) {
      logger.warn({ err, url: loggableUrl(request.url) }, 'request failed on a transient error');
      return reply.code(503).header('retry-after', '1').send({ error: err.code, message: 'ClickHouse is unavailable right now; retry shortly' });
    }
    const status = 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: err.message });
    }
    logger.error({ err, url: loggableUrl(request.url) }, 'request failed');
    return reply.code(500).send({ error: 'OL_ERR_HTTP_INTERNAL', message: 'internal error; see the server log' });
  });
}

/** A request URL fit for the logs: an `access_token` query parameter (WebSocket clients) is redacted. */
export function loggableUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

/**
 * Fastify's `frameworkErrors`: what the router refuses before any route runs (a URL that is not
 * valid percent-encoded UTF-8, a path segment longer than any route takes), answered like every
 * other error and without echoing the URL back.
 */
export function frameworkErrorHandler(maxParamLength: number) {
  return (err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      void reply.code(414).send({ error: 'OL_ERR_HTTP_TOO_LARGE', message: `a path segment is longer than ${maxParamLength} characters (percent-encoded)` });
    } else if (err.code === 'FST_ERR_BAD_URL') {
      void reply.code(400).send({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: 'the URL path is not valid percent-encoded UTF-8' });
    } else {
      void reply.code(400).send({ error: 'OL_ERR_HTTP_BAD_REQUEST', message: err.message });
    }
  };
}

/**
 * Node's `clientError` (a request that cannot even be parsed: headers or URL over Node's header
 * size limit, a malformed request line, a header timeout): the same JSON error body as every other
 * error, then the connection is closed. A reset connection gets nothing.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'OL_ERR_HTTP_TOO_LARGE', 'request line and headers over the server\'s header size limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'OL_ERR_HTTP_BAD_REQUEST', 'the request was not received in time']
        : [400, 'OL_ERR_HTTP_BAD_REQUEST', 'the request is not valid HTTP'];
  if (socket.writable) {
    const body = JSON.stringify({ error: code, message } satisfies ErrorBody);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
