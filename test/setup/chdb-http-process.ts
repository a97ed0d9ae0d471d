import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from './free-port.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

export interface ChdbHttpProcess {
  /** `http://127.0.0.1:<port>`: CLICKHOUSE_URL for workers. Stays the same across restarts. */
  url: string;
  pid(): number | undefined;
  /** Stops the server (SIGTERM, or SIGKILL) and waits for the process to end. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
}

/**
 * Runs test/setup/chdb-http-main.ts as its own process on `dataPath` and a free loopback port:
 * ClickHouse's engine behind ClickHouse's HTTP interface, shared by every worker of a test.
 */
export async function startChdbHttpProcess(options: { dataPath: string; logFile: string }): Promise<ChdbHttpProcess> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(options.logFile, { flags: 'a' });
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'chdb-http-main.ts'), options.dataPath, String(port)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stderr!.pipe(log, { end: false });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        log.write(chunk);
        if (out.includes('listening ')) {
          started.stdout!.off('data', onData);
          started.stdout!.on('data', (c: Buffer) => log.write(c));
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.once('exit', (code) => reject(new Error(`the chDB HTTP server exited with ${code} before listening; see ${options.logFile}`)));
    });
  };
  await start();
  return {
    url,
    pid: () => child?.pid,
    async stop(signal = 'SIGTERM') {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill(signal);
      await exited;
    },
    start,
  };
}
