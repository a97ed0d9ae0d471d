import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { shutdownSignal, signalExitCode, type SignalTarget } from '../../../src/runtime/shutdown-signal.js';

/** A process stand-in: signals are emitted by the test, `exit` is recorded. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const target = Object.assign(emitter, { exit: (code: number) => void exits.push(code) }) as unknown as SignalTarget & EventEmitter;
  return { target, exits, signal: (name: 'SIGINT' | 'SIGTERM') => emitter.emit(name, name) };
}

const logger = pino({ level: 'silent' });

describe('shutdownSignal', () => {
  it('resolves on the first signal and exits at once on the second, with 128 + its number', async () => {
    const p = fakeProcess();
    const { stopped } = shutdownSignal(logger, p.target);
    p.signal('SIGTERM');
    expect(await stopped).toBe('SIGTERM');
    expect(p.exits).toEqual([]);
    p.signal('SIGINT');
    expect(p.exits).toEqual([130]);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });

  it('leaves no handler behind once disposed', () => {
    const p = fakeProcess();
    const shutdown = shutdownSignal(logger, p.target);
    p.signal('SIGINT');
    shutdown.dispose();
    expect(p.target.listenerCount('SIGINT') + p.target.listenerCount('SIGTERM')).toBe(0);
    const unused = shutdownSignal(logger, p.target);
    unused.dispose();
    expect(p.target.listenerCount('SIGINT') + p.target.listenerCount('SIGTERM')).toBe(0);
  });
});
