/**
 * The hand-over from the early listener of `bin/early-health.js` (which answers `/health` while the
 * sources load) to the real API: start-up asks whether the early listener holds the API's address
 * (then the port is known to be free for us, and no probe is needed), and closes it right before
 * the API listens. Absent (tests calling `runStart` directly, port 0): both are no-ops.
 */
interface EarlyHealth {
  host: string;
  port: number;
  listening: Promise<boolean>;
  close(): Promise<void>;
}

const KEY = Symbol.for('orderlake.earlyHealth');

function early(): EarlyHealth | undefined {
  return (globalThis as Record<symbol, EarlyHealth | undefined>)[KEY];
}

/** Whether the early listener is listening on exactly this host and port. */
export async function earlyHealthHolds(host: string, port: number): Promise<boolean> {
  const e = early();
  return e !== undefined && e.host === host && e.port === port && (await e.listening);
}

/** Closes the early listener (once); the caller binds the port next. */
export async function releaseEarlyHealth(): Promise<void> {
  const e = early();
  if (e === undefined) return;
  (globalThis as Record<symbol, EarlyHealth | undefined>)[KEY] = undefined;
  if (await e.listening) await e.close();
}
