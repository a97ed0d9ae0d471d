import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import { waitFor } from './kafka-topics.js';
import { REPO_ROOT } from './pipeline-run.js';
import { freeLoopbackPort } from '../setup/free-port.js';

/** Debian's chromium as the browser tests drive it (never a downloaded browser). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** `orderlake start` in embedded mode with the built-in simulator, serving the console on a free loopback port. */
export interface ConsoleServer {
  base: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
}

/**
 * Starts the console's server as an operator would (`node bin/orderlake.js start`, no Kafka, no
 * ClickHouse URL: chDB in `dataDir/data`), with the tokens of `authFile`, and waits for `/ready` and
 * for `ready(output)` (default: nothing more).
 */
export async function startConsoleServer(options: {
  dataDir: string;
  authFile: string;
  /** ORDERLAKE_SIM_RATE, ORDERLAKE_SIM_ORDERS, LOG_LEVEL and the like. */
  env: Record<string, string>;
  ready?: (output: string) => boolean;
  timeoutMs: number;
  describe: string;
}): Promise<ConsoleServer> {
  const port = await freeLoopbackPort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/orderlake.js'), 'start'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: '',
      CLICKHOUSE_URL: '',
      CLICKHOUSE_DATABASE: 'orderlake',
      ORDERLAKE_AUTH_TOKENS: '',
      ORDERLAKE_JWT_SECRET: '',
      ORDERLAKE_AUTH_FILE: options.authFile,
      ORDERLAKE_DATA_DIR: path.join(options.dataDir, 'data'),
      ORDERLAKE_HTTP_HOST: '127.0.0.1',
      ORDERLAKE_HTTP_PORT: String(port),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const server: ConsoleServer = {
    base,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`orderlake start exited ${child.exitCode}:\n${output.slice(-4000)}`);
      return (await fetch(`${base}/ready`).catch(() => null))?.status === 200 && (options.ready?.(output) ?? true);
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, describe: `${options.describe} on ${base}` },
  );
  return server;
}

/**
 * Collects what goes wrong on `page` into `errors`: page errors, console errors (other than the
 * browser's own "Failed to load resource" lines) and HTTP answers of 400 and up, except those
 * `expected` accepts (a response the test provokes on purpose).
 */
export function collectPageErrors(page: Page, errors: string[], expected: (response: Response) => boolean = () => false): void {
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !expected(response)) errors.push(`HTTP ${response.status()} ${response.url()}`);
  });
}
