import { createRequire } from 'node:module';
import { OrderlakeError } from '../../errors.js';
import type { Rdkafka } from './rdkafka-types.js';

export type { Rdkafka };

/**
 * Loads node-rdkafka, an optional dependency (it compiles librdkafka when installed, which not
 * every machine can do), only when KAFKA_CLIENT=rdkafka asks for it. `requireModule` is injected
 * by tests. A missing package or a failed native build fails fast with OL_ERR_RDKAFKA_MISSING and
 * says how to get out of it.
 */
export function loadRdkafka(requireModule: (id: string) => unknown = createRequire(import.meta.url)): Rdkafka {
  try {
    return requireModule('node-rdkafka') as Rdkafka;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new OrderlakeError(
      'OL_ERR_RDKAFKA_MISSING',
      'KAFKA_CLIENT=rdkafka needs node-rdkafka, an optional dependency that compiles librdkafka when installed: ' +
        'run `npm install node-rdkafka` (a C/C++ toolchain and Python are needed), or set KAFKA_CLIENT=kafkajs. ' +
        `Loading it failed: ${reason}`,
      { cause: err },
    );
  }
}
