import { createServer } from 'node:net';

/**
 * Asks the kernel for a port that is free on `host` right now, by binding port 0 and closing.
 * Another process may take it before the caller binds it, so callers that spawn servers on it
 * must be ready to retry with a new port.
 */
export function freeLoopbackPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error(`could not read the port bound on ${host}`));
      });
    });
  });
}
