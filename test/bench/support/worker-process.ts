import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './bench-result.js';
import type { DrainResult, ParentToWorker, WorkerRequest, WorkerSpec, WorkerToParent } from './worker-spec.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-child.ts');

/** The parent's handle on a worker process started from worker-child.ts. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the first `ready` (serve) or `drained` (drain) message; rejects if the worker fails or exits first. */
  first: Promise<WorkerToParent>;
  request<T = unknown>(request: WorkerRequest, timeoutMs?: number): Promise<T>;
  /** Asks the worker to stop, then kills it if it has not exited within the grace period. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

export function startWorkerProcess(spec: WorkerSpec): WorkerProcess {
  const stderrFile = `${spec.logFile}.stderr`;
  // BENCH_WORKER_CPU_PROF=<dir>: the worker writes a V8 CPU profile there when it exits.
  const profileDir = process.env.BENCH_WORKER_CPU_PROF;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profiling, '--import', 'tsx', CHILD], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_WORKER_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const errLog = createWriteStream(stderrFile);
  let stderrTail = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errLog.write(chunk);
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  const exited = once(child, 'exit').then(([code]) => {
    errLog.end();
    return code as number | null;
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const first = new Promise<WorkerToParent>((resolve, reject) => {
    child.on('message', (message: WorkerToParent) => {
      if (message.type === 'ready' || message.type === 'drained') resolve(message);
      else if (message.type === 'failed') reject(new Error(`worker failed: ${message.message}`));
      else if (message.type === 'reply') {
        waiting.get(message.id)?.resolve(message.data);
        waiting.delete(message.id);
      }
    });
    void exited.then((code) => {
      const error = new Error(`worker exited (${code}) before answering; stderr tail:\n${stderrTail}\nlog: ${spec.logFile}`);
      reject(error);
      for (const w of waiting.values()) w.reject(error);
      waiting.clear();
    });
  });
  first.catch(() => undefined);

  return {
    child,
    first,
    exited,
    request<T>(request: WorkerRequest, timeoutMs = 60_000): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`worker did not answer ${request.cmd} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.send({ type: 'request', id, request } satisfies ParentToWorker);
      });
    },
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a drain-mode worker to the end and returns its measurement. */
export async function runDrainWorker(spec: WorkerSpec): Promise<DrainResult> {
  const worker = startWorkerProcess({ ...spec, mode: 'drain' });
  try {
    const message = await worker.first;
    if (message.type !== 'drained') throw new Error(`unexpected worker message ${message.type}`);
    return message.result;
  } finally {
    await worker.stop();
  }
}
