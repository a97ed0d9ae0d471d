/** A reserved feed connection slot; `release` may be called any number of times. */
export interface ConnectionSlot {
  release(): void;
}

export type Reservation =
  | { ok: true; slot: ConnectionSlot }
  | { ok: false; status: 429 | 503; message: string };

/**
 * How many feed connections the server holds, in total and per client (principal name). A slot is
 * reserved before the upgrade and released when the connection's socket closes, so a flood of
 * upgrades racing each other still cannot go past either limit.
 */
export interface ConnectionLimits {
  reserve(client: string): Reservation;
  readonly active: number;
  /** Connections held by `client`. */
  of(client: string): number;
}

export function createConnectionLimits(options: { maxConnections: number; maxConnectionsPerClient: number }): ConnectionLimits {
  const perClient = new Map<string, number>();
  let active = 0;
  return {
    reserve(client) {
      if (active >= options.maxConnections) {
        return { ok: false, status: 503, message: `the feed holds its limit of ${options.maxConnections} connections; retry later` };
      }
      const held = perClient.get(client) ?? 0;
      if (held >= options.maxConnectionsPerClient) {
        return { ok: false, status: 429, message: `at most ${options.maxConnectionsPerClient} feed connections per client; close one first` };
      }
      active++;
      perClient.set(client, held + 1);
      let released = false;
      return {
        ok: true,
        slot: {
          release() {
            if (released) return;
            released = true;
            active--;
            const left = (perClient.get(client) ?? 1) - 1;
            if (left > 0) perClient.set(client, left);
            else perClient.delete(client);
          },
        },
      };
    },
    get active() {
      return active;
    },
    of(client) {
      return perClient.get(client) ?? 0;
    },
  };
}
