import type { Logger } from 'pino';
import { OrderlakeError } from '../errors.js';
import { withRetry } from '../retry.js';
import type { RetryOptions } from '../retry.js';
import type { SchemaRegistry } from './schema-registry.js';

/** Options of the Confluent REST client. */
export interface HttpSchemaRegistryOptions {
  /** Base URL of the registry (`SCHEMA_REGISTRY_URL`), e.g. `http://127.0.0.1:8081`; a path prefix is kept. */
  url: string;
  /** Basic-auth user, for registries behind authentication (Confluent Cloud API key). */
  username?: string;
  password?: string;
  /** Injected for tests or proxies; defaults to the global fetch. */
  fetch?: typeof fetch;
  logger?: Logger;
  /** Per-request timeout, ms; default 10 000. A timeout counts as the registry being unavailable. */
  timeoutMs?: number;
  /**
   * Retries of unavailable-registry failures inside one call; default 2 retries, 100 ms base,
   * 1 000 ms cap. After them the call fails with the retriable `OL_ERR_REGISTRY_UNAVAILABLE`,
   * so the caller's own retry loop can still wait longer.
   */
  retry?: Pick<RetryOptions, 'retries' | 'baseMs' | 'maxMs' | 'sleep' | 'random'>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const DEFAULT_RETRY = { retries: 2, baseMs: 100, maxMs: 1000 };

interface RegistryResponse {
  status: number;
  body: unknown;
}

function errorCodeOf(body: unknown): number | undefined {
  if (body && typeof body === 'object' && typeof (body as { error_code?: unknown }).error_code === 'number') {
    return (body as { error_code: number }).error_code;
  }
  return undefined;
}

function describe(response: RegistryResponse): string {
  const message = response.body && typeof response.body === 'object' ? (response.body as { message?: unknown }).message : undefined;
  return `HTTP ${response.status}${typeof message === 'string' ? `: ${message}` : ''}`;
}

function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * A client of a Confluent-compatible schema registry (Confluent, Karapace, Apicurio's ccompat
 * API) speaking the two REST calls the codecs need. Schemas by id are cached forever (ids are
 * immutable) and concurrent lookups of one id share one request, so a burst of messages with a
 * new writer schema costs one round trip.
 */
export function createHttpSchemaRegistry(options: HttpSchemaRegistryOptions): SchemaRegistry {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retry = options.retry ?? DEFAULT_RETRY;
  const { logger } = options;
  const headers: Record<string, string> = { Accept: `${CONTENT_TYPE}, application/json` };
  if (options.username !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }

  const schemaById = new Map<number, string>();
  const pendingById = new Map<number, Promise<string>>();
  const idBySubjectSchema = new Map<string, number>();
  const pendingRegistrations = new Map<string, Promise<number>>();

  async function request(method: 'GET' | 'POST', path: string, context: Record<string, unknown>, body?: unknown): Promise<RegistryResponse> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'Content-Type': CONTENT_TYPE },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', `schema registry ${base} unreachable: ${(err as Error).message}`, {
        cause: err,
        context,
      });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', `schema registry ${base} broke off its answer: ${(err as Error).message}`, {
        cause: err,
        context,
      });
    }
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy's HTML error page: keep the text, the status decides.
    }
    const result = { status: response.status, body: parsed };
    if (isTransientStatus(response.status)) {
      throw new OrderlakeError('OL_ERR_REGISTRY_UNAVAILABLE', `schema registry ${method} ${path} failed: ${describe(result)}`, {
        context: { ...context, status: response.status },
      });
    }
    return result;
  }

  function retried<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(() => fn(), {
      ...retry,
      onRetry: (err, attempt, delayMs) => logger?.warn({ err, attempt, delayMs }, `schema registry ${what} failed, retrying`),
    });
  }

  async function fetchSchema(id: number): Promise<string> {
    const context = { schemaId: id };
    const response = await retried(`lookup of id ${id}`, () => request('GET', `/schemas/ids/${id}`, context));
    if (response.status === 404 || errorCodeOf(response.body) === 40403) {
      throw new OrderlakeError('OL_ERR_CODEC_UNKNOWN_SCHEMA_ID', `schema registry does not know schema id ${id}`, { context });
    }
    if (response.status !== 200) {
      throw new OrderlakeError('OL_ERR_REGISTRY_REJECTED', `schema registry refused lookup of id ${id}: ${describe(response)}`, {
        context: { ...context, status: response.status },
      });
    }
    const body = response.body as { schema?: unknown; schemaType?: unknown } | undefined;
    if (!body || typeof body.schema !== 'string') {
      throw new OrderlakeError('OL_ERR_REGISTRY_REJECTED', `schema registry answered id ${id} without a schema string`, { context });
    }
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
      throw new OrderlakeError('OL_ERR_CODEC_RESOLUTION', `schema id ${id} is a ${String(body.schemaType)} schema, not Avro`, { context });
    }
    logger?.debug({ schemaId: id }, 'fetched writer schema');
    return body.schema;
  }

  async function registerSchema(subject: string, schemaJson: string): Promise<number> {
    const context = { subject };
    const path = `/subjects/${encodeURIComponent(subject)}/versions`;
    const response = await retried(`registration under ${subject}`, () => request('POST', path, context, { schema: schemaJson }));
    const id = (response.body as { id?: unknown } | undefined)?.id;
    if (response.status !== 200 || typeof id !== 'number') {
      throw new OrderlakeError('OL_ERR_REGISTRY_REJECTED', `schema registry refused a schema under ${subject}: ${describe(response)}`, {
        context: { ...context, status: response.status, registryErrorCode: errorCodeOf(response.body) },
      });
    }
    logger?.debug({ subject, schemaId: id }, 'registered schema');
    return id;
  }

  return {
    getSchemaById(id) {
      const cached = schemaById.get(id);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = pendingById.get(id);
      if (!pending) {
        pending = fetchSchema(id)
          .then((schema) => {
            schemaById.set(id, schema);
            return schema;
          })
          .finally(() => pendingById.delete(id));
        pendingById.set(id, pending);
      }
      return pending;
    },
    register(subject, schemaJson) {
      const key = `${subject}\u0000${schemaJson}`;
      const cached = idBySubjectSchema.get(key);
      if (cached !== undefined) return Promise.resolve(cached);
      let pending = pendingRegistrations.get(key);
      if (!pending) {
        pending = registerSchema(subject, schemaJson)
          .then((id) => {
            idBySubjectSchema.set(key, id);
            if (!schemaById.has(id)) schemaById.set(id, schemaJson);
            return id;
          })
          .finally(() => pendingRegistrations.delete(key));
        pendingRegistrations.set(key, pending);
      }
      return pending;
    },
  };
}
