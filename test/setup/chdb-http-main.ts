import { startChdbHttpServer } from './chdb-http-server.js';

/**
 * `tsx test/setup/chdb-http-main.ts <dataPath> <port>`: the chDB HTTP server as a process of its own
 * (see chdb-http-server.ts), so a test can stop it as a ClickHouse server goes away. Prints
 * `listening <url>` once it serves; exits on SIGTERM/SIGINT after closing the directory.
 */
const [dataPath, port] = process.argv.slice(2);
if (dataPath === undefined || port === undefined || !/^\d+$/.test(port)) {
  console.error('usage: chdb-http-main.ts <dataPath> <port>');
  process.exit(2);
}
const server = await startChdbHttpServer({ dataPath, port: Number(port) });
console.log(`listening ${server.url}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
