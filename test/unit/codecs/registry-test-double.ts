import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * TEST DOUBLE of the Confluent schema registry REST API — not a registry. It implements only the
 * two documented endpoints the HTTP client uses (GET /schemas/ids/{id}, POST
 * /subjects/{subject}/versions) on a real loopback HTTP server on port 0, with knobs to fail,
 * hold or inspect requests. The test against a real registry belongs to the integration suite.
 */
export interface RegistryTestDouble {
  url: string;
  /** Every request seen, in order. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  /** Answer the next `count` requests with this status (e.g. 503) before behaving normally. */
  failNext(count: number, status: number): void;
  /** Hold every answer until `release()` is called, to observe concurrent requests. */
  hold(): void;
  release(): void;
  /** Require this Authorization header; others get 401. */
  requireAuthorization(header: string): void;
  /** Ids the double knows (schema JSON by id). */
  schemas: Map<number, string>;
  close(): Promise<void>;
}

export async function startRegistryTestDouble(): Promise<RegistryTestDouble> {
  const schemas = new Map<number, string>();
  const requests: RegistryTestDouble['requests'] = [];
  let failures: Array<number> = [];
  let holding = false;
  let held: Array<() => void> = [];
  let authorization: string | undefined;

  function reply(res: ServerResponse, status: number, body: unknown): void {
    const send = () => {
      res.writeHead(status, { 'Content-Type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(body));
    };
    if (holding) held.push(send);
    else send();
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const failure = failures.shift();
      if (failure !== undefined) return reply(res, failure, { error_code: failure * 100, message: 'injected failure' });
      if (authorization !== undefined && req.headers.authorization !== authorization) {
        return reply(res, 401, { error_code: 40101, message: 'Unauthorized' });
      }
      const byId = /^\/schemas\/ids\/(\d+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && byId) {
        const schema = schemas.get(Number(byId[1]));
        if (schema === undefined) return reply(res, 404, { error_code: 40403, message: 'Schema not found' });
        return reply(res, 200, { schema });
      }
      const versions = /^\/subjects\/([^/]+)\/versions$/.exec(req.url ?? '');
      if (req.method === 'POST' && versions) {
        if (req.headers['content-type'] !== 'application/vnd.schemaregistry.v1+json') {
          return reply(res, 415, { error_code: 415, message: 'Unsupported Media Type' });
        }
        let schema: unknown;
        try {
          schema = (JSON.parse(body) as { schema?: unknown }).schema;
        } catch {
          return reply(res, 422, { error_code: 42201, message: 'Invalid schema' });
        }
        if (typeof schema !== 'string') return reply(res, 422, { error_code: 42201, message: 'Invalid schema' });
        for (const [id, known] of schemas) if (known === schema) return reply(res, 200, { id });
        const id = schemas.size + 100;
        schemas.set(id, schema);
        return reply(res, 200, { id });
      }
      return reply(res, 404, { error_code: 404, message: 'HTTP 404 Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    schemas,
    failNext(count, status) {
      failures = [...failures, ...Array.from({ length: count }, () => status)];
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const pending = held;
      held = [];
      for (const send of pending) send();
    },
    requireAuthorization(header) {
      authorization = header;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
