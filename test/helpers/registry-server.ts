/**
 * A TEST IMPLEMENTATION of the Confluent Schema Registry REST API — not a real registry.
 *
 * It exists because no real Confluent-compatible registry runs on this machine (checked when the
 * test infrastructure was written):
 * - Karapace: `pip index versions karapace` answers "No matching distribution found" — it is not
 *   on PyPI.
 * - Apicurio Registry 3.x (`io.apicurio:apicurio-registry-app` 3.3.3 on Maven Central) is compiled
 *   for Java 21 (class file version 65); machines here have Java 17. It is also a Quarkus
 *   application that must be re-built with the Quarkus Maven plugin before it can run.
 * - Apicurio Registry 2.6.13.Final (Java 11 classes) cannot be resolved from Maven Central: its
 *   dependency `apicurio-registry-schema-util-provider` and the Confluent serializers behind it
 *   are only on Confluent's own Maven repository, which is not reachable here.
 *
 * So this small node:http server implements the documented endpoints that orderlake's registry
 * client and tests use, with Confluent's status codes and `error_code` values:
 * - `POST /subjects/{subject}/versions` `{"schema": "<json>"}` → `{"id": n}`; the same schema
 *   gets the same global id under every subject and no new version under the same subject
 * - `POST /subjects/{subject}` (is this schema registered?) → `{subject, id, version, schema}`
 * - `GET /subjects`, `GET /subjects/{subject}/versions`
 * - `GET /subjects/{subject}/versions/{version|latest}` → `{subject, id, version, schema}`
 * - `GET /schemas/ids/{id}` → `{"schema": "..."}`, or 404 `{"error_code": 40403, ...}`
 *
 * Known differences from Confluent: only AVRO schemas; "the same schema" means equal after JSON
 * parsing (whitespace-insensitive, not Avro canonical form); no compatibility checks, no
 * references, no deletes, no modes; state lives in memory for the life of the server.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import type { Schema } from 'avsc';

export interface RegistryServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port chosen by the kernel. */
  port?: number;
}

/** One registered version of a subject. */
export interface RegisteredSchema {
  subject: string;
  version: number;
  id: number;
  schema: string;
}

export interface RegistryServer {
  /** Base URL to hand to the registry client as `SCHEMA_REGISTRY_URL`. */
  url: string;
  /** Registers directly (no HTTP), with the same rules as `POST /subjects/{subject}/versions`. */
  register(subject: string, schema: string | object): RegisteredSchema;
  /** Requests served so far, oldest first, e.g. to check that a client caches lookups by id. */
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number }>;
  /**
   * Answers the next `count` requests with `status` (default 503) and a Confluent-style error
   * body, so tests can exercise a client's retry and unavailable-registry handling.
   */
  failNext(count: number, status?: number): void;
  stop(): Promise<void>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Starts a test Confluent-compatible registry on a free loopback port (see the file header). */
export async function startRegistryServer(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const schemaById = new Map<number, string>();
  const idBySchema = new Map<string, number>();
  const versionsBySubject = new Map<string, RegisteredSchema[]>();
  const requests: Array<{ method: string; path: string; status: number }> = [];
  let failures: { remaining: number; status: number } = { remaining: 0, status: 503 };

  function canonical(schema: string | object): string {
    let parsed: unknown;
    try {
      parsed = typeof schema === 'string' ? JSON.parse(schema) : schema;
    } catch (err) {
      throw new HttpError(422, 42201, `Invalid schema: not JSON (${(err as Error).message})`);
    }
    try {
      avro.Type.forSchema(parsed as Schema);
    } catch (err) {
      throw new HttpError(422, 42201, `Invalid schema: ${(err as Error).message}`);
    }
    return JSON.stringify(parsed);
  }

  function register(subject: string, schema: string | object): RegisteredSchema {
    const text = canonical(schema);
    const versions = versionsBySubject.get(subject) ?? [];
    const existing = versions.find((entry) => entry.schema === text);
    if (existing) return existing;
    let id = idBySchema.get(text);
    if (id === undefined) {
      id = schemaById.size + 1;
      schemaById.set(id, text);
      idBySchema.set(text, id);
    }
    const entry: RegisteredSchema = { subject, version: versions.length + 1, id, schema: text };
    versions.push(entry);
    versionsBySubject.set(subject, versions);
    return entry;
  }

  function subjectVersions(subject: string): RegisteredSchema[] {
    const versions = versionsBySubject.get(subject);
    if (!versions || versions.length === 0) throw new HttpError(404, 40401, `Subject '${subject}' not found.`);
    return versions;
  }

  function route(method: string, segments: string[], body: unknown): unknown {
    const [first, second, third, fourth] = segments;
    if (first === 'schemas' && second === 'ids' && third !== undefined && segments.length === 3 && method === 'GET') {
      const schema = /^\d+$/.test(third) ? schemaById.get(Number(third)) : undefined;
      if (schema === undefined) throw new HttpError(404, 40403, 'Schema not found');
      return { schema };
    }
    if (first === 'subjects') {
      if (segments.length === 1 && method === 'GET') return [...versionsBySubject.keys()].sort();
      if (second === undefined) throw notFound();
      const subject = second;
      if (segments.length === 2 && method === 'POST') {
        const text = canonical(schemaField(body));
        const match = subjectVersions(subject).find((entry) => entry.schema === text);
        if (!match) throw new HttpError(404, 40403, 'Schema not found');
        return match;
      }
      if (third === 'versions') {
        if (segments.length === 3 && method === 'GET') return subjectVersions(subject).map((entry) => entry.version);
        if (segments.length === 3 && method === 'POST') {
          const schemaType = (body as { schemaType?: unknown } | undefined)?.schemaType;
          if (schemaType !== undefined && schemaType !== 'AVRO') {
            throw new HttpError(422, 42201, `Invalid schema: this test registry supports AVRO only, not ${String(schemaType)}`);
          }
          return { id: register(subject, schemaField(body)).id };
        }
        if (segments.length === 4 && fourth !== undefined && method === 'GET') {
          const versions = subjectVersions(subject);
          if (fourth === 'latest' || fourth === '-1') return versions[versions.length - 1];
          if (!/^\d+$/.test(fourth) || Number(fourth) < 1) {
            throw new HttpError(422, 42202, `The specified version '${fourth}' is not a valid version id.`);
          }
          const entry = versions[Number(fourth) - 1];
          if (!entry) throw new HttpError(404, 40402, `Version ${fourth} not found.`);
          return entry;
        }
      }
    }
    throw notFound();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://registry').pathname;
    let status = 200;
    let payload: unknown;
    try {
      const raw = await readBody(req);
      if (failures.remaining > 0) {
        failures = { ...failures, remaining: failures.remaining - 1 };
        throw new HttpError(failures.status, failures.status, 'Injected failure (test registry)');
      }
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch (err) {
          throw new HttpError(400, 400, `Unrecognized request body: ${(err as Error).message}`);
        }
      }
      const segments = path.split('/').filter((part) => part !== '').map((part) => decodeURIComponent(part));
      payload = route(method, segments, body);
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        payload = { error_code: err.errorCode, message: err.message };
      } else {
        status = 500;
        payload = { error_code: 50001, message: `Error in the test registry: ${String(err)}` };
      }
    }
    requests.push({ method, path, status });
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    register,
    requests,
    failNext(count: number, status = 503) {
      failures = { remaining: count, status };
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function schemaField(body: unknown): string {
  const schema = (body as { schema?: unknown } | undefined)?.schema;
  if (typeof schema !== 'string') throw new HttpError(422, 42201, 'Invalid schema: the body needs a "schema" string');
  return schema;
}

function notFound(): HttpError {
  return new HttpError(404, 404, 'HTTP 404 Not Found');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
