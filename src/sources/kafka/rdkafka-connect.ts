import { fromRdkafkaError } from './rdkafka-errors.js';
import type { LibrdKafkaError } from './rdkafka-types.js';

/** How long connecting (bootstrap plus first metadata) may take, ms. */
const CONNECT_TIMEOUT_MS = 30_000;

interface Connectable {
  connect(options: { timeout: number }, cb: (err: LibrdKafkaError | null) => void): unknown;
  disconnect(cb: (err: unknown) => void): unknown;
}

/** node-rdkafka's callback `connect` as a promise; a failure is an OL_ERR_KAFKA error naming the client. */
export function connectClient(client: Connectable, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    client.connect({ timeout: CONNECT_TIMEOUT_MS }, (err) => (err ? reject(fromRdkafkaError(err, `${what} could not connect`)) : resolve()));
  });
}

/** node-rdkafka's callback `disconnect` as a promise; closing never fails the caller. */
export function disconnectClient(client: Connectable): Promise<void> {
  return new Promise((resolve) => {
    client.disconnect(() => resolve());
  });
}
