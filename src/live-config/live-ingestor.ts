import type { Metrics } from '../metrics.js';
import { createNormalizer } from '../normalize/index.js';
import { createIngestor, type Ingestor, type ValueDecoder } from '../pipeline/ingest.js';
import type { LiveConfig } from './live-config.js';

/**
 * The ingest stage under live reload: each `ingestBatch` takes the configuration once, at its start
 * ({@link LiveConfig.beginBatch}), normalizes the whole batch with that version's pipelines and
 * tags every event with the version, which the lake and golden rows record. A version's normalizer
 * is compiled once, when a batch first needs it.
 */
export function createLiveIngestor(deps: { live: LiveConfig; decoder: ValueDecoder; metrics?: Metrics; now: () => number }): Ingestor {
  let current: { version: string; ingestor: Ingestor } | null = null;
  return {
    async ingestBatch(messages) {
      const active = deps.live.beginBatch();
      if (current?.version !== active.version) {
        const normalizer = createNormalizer(active.config.pipelines);
        current = { version: active.version, ingestor: createIngestor({ decoder: deps.decoder, normalizer, now: deps.now, ...(deps.metrics ? { metrics: deps.metrics } : {}) }) };
      }
      const outcomes = await current.ingestor.ingestBatch(messages);
      for (const outcome of outcomes) if (outcome.type === 'event') outcome.configVersion = active.version;
      return outcomes;
    },
  };
}
