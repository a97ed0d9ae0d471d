import os from 'node:os';
import type { Logger } from 'pino';

/** Exit status of a process ended by `signal` (128 + its number), as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/** What `shutdownSignal` needs of the process: its signal events and `exit` (a test hands in a stand-in). */
export interface SignalTarget {
  on(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  once(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/**
 * Resolves on the first SIGINT/SIGTERM, after which the caller shuts down in order (flush, commit,
 * leave the consumer groups). A second one exits at once with 128 + the signal's number: an
 * operator who presses Ctrl-C twice, or an orchestrator done waiting, is not kept waiting.
 * `dispose` removes the handlers.
 */
export function shutdownSignal(
  logger: Logger,
  target: SignalTarget = process as unknown as SignalTarget,
  options: { /** The orderly stop's deadline (ORDERLAKE_SHUTDOWN_TIMEOUT_MS), for the log line. */ timeoutMs?: number } = {},
): { stopped: Promise<NodeJS.Signals>; dispose(): void } {
  const within = options.timeoutMs === undefined ? '' : ` within ${options.timeoutMs} ms`;
  const force = (signal: NodeJS.Signals) => {
    logger.warn({ signal }, 'second signal: exiting now, without flushing or leaving the consumer groups');
    target.exit(signalExitCode(signal));
  };
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      logger.info({ signal }, `shutting down${within}: flushing buffered rows, committing, leaving the consumer groups (send the signal again to exit at once)`);
      target.off('SIGINT', onSignal);
      target.off('SIGTERM', onSignal);
      target.once('SIGINT', force);
      target.once('SIGTERM', force);
      resolve(signal);
    };
    target.on('SIGINT', onSignal);
    target.on('SIGTERM', onSignal);
  });
  return {
    stopped,
    dispose() {
      for (const handler of [onSignal, force]) {
        target.off('SIGINT', handler);
        target.off('SIGTERM', handler);
      }
    },
  };
}
