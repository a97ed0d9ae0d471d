import { readFile } from 'node:fs/promises';
import { freeLoopbackPort } from '../setup/free-port.js';
import { randomName } from './kafka-topics.js';
import type { WorkerProcess } from './pipeline-run.js';

/** A worker's HTTP API on a port chosen before it starts, so a test can poll it from the first millisecond. */
export interface WorkerHttp {
  port: number;
  base: string;
  /** An agent token the worker accepts (`ORDERLAKE_AUTH_TOKENS`). */
  token: string;
  /** The environment that gives a worker this port and token (for `spawnWorker`'s `extraEnv`). */
  env: Record<string, string>;
}

export async function workerHttp(): Promise<WorkerHttp> {
  const port = await freeLoopbackPort();
  const token = randomName('agent');
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    token,
    env: { ORDERLAKE_HTTP_PORT: String(port), ORDERLAKE_HTTP_HOST: '127.0.0.1', ORDERLAKE_AUTH_TOKENS: `${token}:agent` },
  };
}

/** GET `path`; `null` while nothing listens (connection refused). */
export async function getJson(http: WorkerHttp, path: string, auth = false): Promise<{ status: number; body: any } | null> {
  try {
    const res = await fetch(`${http.base}${path}`, { headers: auth ? { authorization: `Bearer ${http.token}` } : {}, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.json() };
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return null;
    throw err;
  }
}

/**
 * Polls `GET path` every `intervalMs` from now until it answers with `status`, the worker exits,
 * or `timeoutMs` passes; resolves with the answer and how long it took from `since`
 * (`performance.now()` when the worker was spawned).
 */
export async function pollUntilStatus(
  http: WorkerHttp,
  worker: WorkerProcess,
  path: string,
  status: number,
  options: { since: number; timeoutMs: number; intervalMs?: number; auth?: boolean },
): Promise<{ ms: number; body: any }> {
  const deadline = options.since + options.timeoutMs;
  for (;;) {
    if (worker.child.exitCode !== null || worker.child.signalCode !== null) {
      throw new Error(`worker exited (${worker.child.exitCode ?? worker.child.signalCode}) before ${path} answered ${status}; see ${worker.logFile}`);
    }
    const res = await getJson(http, path, options.auth).catch(() => null);
    const ms = performance.now() - options.since;
    if (res?.status === status) return { ms, body: res.body };
    if (performance.now() >= deadline) {
      throw new Error(`${path} did not answer ${status} within ${options.timeoutMs} ms (last: ${res === null ? 'connection refused' : `${res.status} ${JSON.stringify(res.body)}`}); see ${worker.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/** The worker's JSON log lines so far (the plain "Console:" line and partial lines skipped). */
export async function readWorkerLog(worker: WorkerProcess): Promise<Array<{ level: number; msg: string; time: number; [field: string]: any }>> {
  const text = await readFile(worker.logFile, 'utf8').catch(() => '');
  const lines = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // The last line may still be being written.
    }
  }
  return lines;
}

/**
 * Workers a test spawned, killed (SIGKILL) when it ends: a failed assertion must not leave a worker
 * running on, holding a port, a chDB directory and a group membership. Call `track` on each.
 */
export function workerReaper() {
  const spawned: WorkerProcess[] = [];
  return {
    track<T extends WorkerProcess>(worker: T): T {
      spawned.push(worker);
      return worker;
    },
    async killAll(): Promise<void> {
      for (const worker of spawned.splice(0)) {
        if (worker.child.exitCode === null && worker.child.signalCode === null) {
          worker.child.kill('SIGKILL');
          await worker.exited;
        }
      }
    },
  };
}
