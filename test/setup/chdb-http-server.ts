import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';

/**
 * ClickHouse's HTTP interface over chDB, for tests that need several worker processes to share one
 * ClickHouse (a chDB data directory belongs to one process) and for faults of a remote sink (stop
 * this process and every worker's sink calls are refused). The engine is ClickHouse itself (chDB);
 * only the HTTP layer is ours, and it is as small as `@clickhouse/client` needs: `POST /` with the
 * statement in the body, or in `?query=` with the data in the body (INSERT), `param_*` query
 * parameters, settings as URL parameters, `GET /ping`, and errors as ClickHouse sends them
 * (`Code: N. DB::Exception: …` with status 500 and `X-ClickHouse-Exception-Code`). Labelled what it
 * is: no ClickHouse server can be installed on this machine (Debian's is from 2018).
 *
 * Every request runs on a fresh chDB session on the same data directory, because a chDB session
 * keeps `SET` settings and a failed query's partial output (see src/api/sql/analyst-sql.ts), which a
 * shared server must not carry from one client's request into another's.
 */

interface ChdbResult {
  bytes(): Buffer;
  rowsRead?: number;
  bytesRead?: number;
  elapsed?: number;
}
interface ChdbSession {
  queryAsync(sql: string, options?: { format?: string }): Promise<ChdbResult>;
  queryBindAsync(sql: string, params: Record<string, unknown>, options?: { format?: string }): Promise<ChdbResult>;
  close(): void;
}
type SessionConstructor = new (path: string) => ChdbSession;

const { Session } = createRequire(import.meta.url)('chdb') as { Session: SessionConstructor };

/** URL parameters of the HTTP interface that are not settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id', 'session_timeout', 'session_check', 'user', 'password', 'quota_key', 'compress', 'decompress', 'role']);
/** Settings of the HTTP layer only, which chDB refuses as unknown. */
const HTTP_ONLY = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_response_buffer_size',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_response_compression_method',
  'http_native_compression_disable_checksumming_on_decompress',
]);

/** A string value of a query parameter as the HTTP interface writes it (TSV escaping), back to its text. */
function unescapeText(text: string): string {
  return text.replace(/\\(.)/gs, (_, ch: string) => ({ t: '\t', n: '\n', r: '\r', b: '\b', f: '\f', '0': '\0' })[ch as 't'] ?? ch);
}

/** A quoted-element array (`['a','b\'c']`, `[1,2]`) as `@clickhouse/client` formats arrays, to its values. */
function parseArray(text: string): unknown[] {
  const values: unknown[] = [];
  let i = text.indexOf('[') + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ']') break;
    if (ch === ',' || ch === ' ') {
      i++;
      continue;
    }
    if (ch === "'") {
      let value = '';
      i++;
      while (i < text.length && text[i] !== "'") {
        if (text[i] === '\\') {
          value += unescapeText(text.slice(i, i + 2));
          i += 2;
        } else value += text[i++];
      }
      values.push(value);
      i++;
      continue;
    }
    const end = text.slice(i).search(/[,\]]/);
    const token = text.slice(i, end < 0 ? text.length : i + end);
    values.push(token === 'NULL' ? null : /^-?\d+(\.\d+)?$/.test(token) && Number.isSafeInteger(Math.trunc(Number(token))) ? Number(token) : token);
    i += token.length;
  }
  return values;
}

/** Binds `param_*` values with the types the statement declares for them (`{name:Type}`). */
function bindParams(sql: string, raw: Map<string, string>): Record<string, unknown> {
  const types = new Map<string, string>();
  for (const match of sql.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+)\}/g)) types.set(match[1]!, match[2]!.trim());
  const bound: Record<string, unknown> = {};
  for (const [name, value] of raw) {
    const type = types.get(name) ?? 'String';
    if (/^(Nullable\()?Array\(/.test(type)) bound[name] = parseArray(value);
    else if (/^Nullable\(/.test(type) && value === '\\N') bound[name] = null;
    else if (/String/.test(type)) bound[name] = unescapeText(value);
    else bound[name] = value;
  }
  return bound;
}

function quoteSetting(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** ClickHouse's numeric error code in a chDB error message (`Code: 60. DB::Exception: …`). */
function errorCode(message: string): string {
  return /Code:\s*(\d+)/.exec(message)?.[1] ?? '1002';
}

export interface ChdbHttpServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the chDB data directory `dataPath` over ClickHouse's HTTP interface on `host:port`. */
export async function startChdbHttpServer(options: { dataPath: string; port: number; host?: string }): Promise<ChdbHttpServer> {
  // Opening the directory once up front binds it to this process (and fails early when it cannot).
  const keeper = new Session(options.dataPath);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping' || (req.method === 'GET' && url.pathname === '/' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    const body = await readBody(req);
    const inUrl = url.searchParams.get('query');
    const sql = inUrl === null ? body.toString('utf8') : body.length > 0 ? `${inUrl}\n${body.toString('utf8')}` : inUrl;
    const params = new Map<string, string>();
    const settings: string[] = [];
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('param_')) params.set(key.slice('param_'.length), value);
      else if (!NOT_SETTINGS.has(key) && !HTTP_ONLY.has(key) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) settings.push(`${key} = ${quoteSetting(value)}`);
    }
    const format = url.searchParams.get('default_format') ?? 'TabSeparated';
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    const session = new Session(options.dataPath);
    try {
      // One SET for all, `readonly` last: the server applies URL settings together, so a read-only
      // request's other limits are not refused by its own read-only mode.
      settings.sort((a, b) => Number(a.startsWith('readonly ')) - Number(b.startsWith('readonly ')));
      if (settings.length > 0) await session.queryAsync(`SET ${settings.join(', ')}`);
      const result =
        params.size > 0
          ? await session.queryBindAsync(sql, bindParams(sql, params), { format })
          : await session.queryAsync(sql, { format });
      const summary = {
        read_rows: String(result.rowsRead ?? 0),
        read_bytes: String(result.bytesRead ?? 0),
        written_rows: '0',
        written_bytes: '0',
        total_rows_to_read: '0',
        result_rows: String(result.rowsRead ?? 0),
        result_bytes: String(result.bytesRead ?? 0),
        elapsed_ns: String(Math.round((result.elapsed ?? 0) * 1e9)),
      };
      res
        .writeHead(200, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Format': format,
          'X-ClickHouse-Summary': JSON.stringify(summary),
        })
        .end(result.bytes());
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const code = errorCode(message);
      res.writeHead(code === '60' || code === '81' ? 404 : 500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': code, 'X-ClickHouse-Query-Id': queryId }).end(`${message}\n`);
    } finally {
      session.close();
    }
  };
  // Query parameters travel in the URL (`param_ids=[…]` with thousands of order ids on a rebuild):
  // a ClickHouse server takes URLs up to 1 MiB (`http_max_uri_size`); Node's default is 16 KiB.
  const server = createServer({ maxHeaderSize: 1 << 20 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'X-ClickHouse-Exception-Code': '1002' });
      res.end(`Code: 1002. DB::Exception: ${err instanceof Error ? err.message : String(err)}\n`);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          keeper.close();
          resolve();
        });
      }),
  };
}
