import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger: structured JSON on stdout (pipe to pino-pretty when reading by eye). */
export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({ level: options.level, name: options.name ?? 'orderlake', base: { pid: process.pid } });
}
