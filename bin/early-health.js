// A liveness answer from the first moments of `orderlake start`, in plain JavaScript so it loads in
// milliseconds: loading and compiling the TypeScript sources takes one to three seconds, and a
// liveness probe shorter than that would kill the worker in a loop. It listens on the API's
// address until the real API is about to take it over (see src/runtime/early-health.ts), answering
// `/health` 200 and everything else 503 "starting". It never decides anything: if it cannot
// listen (a port in use), it steps aside silently and start-up reports the problem as usual.
import http from 'node:http';

const KEY = Symbol.for('orderlake.earlyHealth');

/** Starts the early listener when the API has a fixed port; a no-op for port 0 (nobody knows it yet). */
export function startEarlyHealth(env = process.env) {
  const host = env.ORDERLAKE_HTTP_HOST || '127.0.0.1';
  const rawPort = env.ORDERLAKE_HTTP_PORT ?? '8080';
  const port = /^[0-9]+$/.test(rawPort) ? Number(rawPort) : NaN;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return;
  const startedAt = Date.now();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const live = req.method === 'GET' && path === '/health';
    res.writeHead(live ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', connection: 'close', ...(live ? {} : { 'retry-after': '1' }) });
    res.end(
      JSON.stringify(
        live
          ? { status: 'ok' }
          : path === '/ready'
            ? { ready: false, checks: { process: `starting: ${Date.now() - startedAt} ms since launch, the API is not up yet` } }
            : { error: 'OL_ERR_HTTP_STARTING', message: 'orderlake is starting; retry in a moment' },
      ),
    );
  });
  const listening = new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => resolve(true));
  });
  globalThis[KEY] = {
    host,
    port,
    listening,
    /** Stops listening (the real API binds the port right after) and ends open connections. */
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections?.();
      }),
  };
}
