import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/kafka-topics.js';
import { REPO_ROOT } from '../../helpers/pipeline-run.js';

const CLI = path.join(REPO_ROOT, 'bin/orderlake.js');
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `orderlake start` as a newcomer runs it: embedded, nothing configured but a fresh data dir and the port. */
async function startCli(port: number, extraEnv: Record<string, string> = {}): Promise<{ child: ChildProcess; output: () => string; dataDir: string }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'orderlake-start-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [CLI, 'start'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
      ORDERLAKE_AUTH_FILE: '',
      ORDERLAKE_AUTH_TOKENS: '',
      ORDERLAKE_JWT_SECRET: '',
      ORDERLAKE_DATA_DIR: dataDir,
      ORDERLAKE_HTTP_HOST: '127.0.0.1',
      ORDERLAKE_HTTP_PORT: String(port),
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, dataDir };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

describe('orderlake start (embedded)', () => {
  it('prints the console URL with its token once, readably, and points at an order whose view is complete', async () => {
    const { child, output } = await startCli(0);
    const tryLine = await waitFor(() => output().split('\n').find((l) => l.includes('an order to try')), {
      timeoutMs: 120_000,
      describe: 'the "order to try" log line',
    });

    const consoleLines = output().split('\n').filter((l) => l.startsWith('Console: '));
    expect(consoleLines).toHaveLength(1);
    const match = /^Console: (http:\/\/127\.0\.0\.1:\d+)\/#token=([A-Za-z0-9_-]{20,})$/.exec(consoleLines[0]!);
    expect(match, consoleLines[0]).not.toBeNull();
    const [, address, token] = match!;
    // The token is printed in that line only: never in the JSON logs.
    expect(output().split(token!).length - 1).toBe(1);

    const { order } = JSON.parse(tryLine) as { order: string };
    const res = await fetch(`${address}/orders/${encodeURIComponent(order)}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const view = (await res.json()) as Record<string, any>;
    expect(view.channel).not.toBeNull();
    expect(view.customer).not.toBeNull();
    expect(view.payment).toMatchObject({ status: 'PAID' });
    expect(view.fulfillments.length).toBeGreaterThan(0);
    expect(view.shipments.length).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
    expect(output().split('\n').filter((l) => l.startsWith('Console: '))).toHaveLength(1);
  });

  it('refuses a port in use at once, naming the variable to change, without a stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as net.AddressInfo).port;

    const { child, output, dataDir } = await startCli(port);
    expect(await exitCode(child)).not.toBe(0);
    const lines = output().trim().split('\n');
    expect(lines).toEqual([
      `orderlake: OL_ERR_CONFIG_INVALID: cannot listen on 127.0.0.1:${port}: the port is already in use (another orderlake?); set ORDERLAKE_HTTP_PORT to a free port (0 picks one)`,
    ]);
    expect(output()).not.toMatch(/^\s+at /m);
    // Checked before any start-up work: nothing migrated, nothing written.
    expect(await readdir(dataDir)).toEqual([]);
  });
});
