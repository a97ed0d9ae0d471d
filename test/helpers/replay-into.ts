import type { EmbeddedRuntime } from '../../src/main.js';
import type { RawMessage } from '../../src/pipeline/raw-message.js';
import { readReplayFile } from '../../src/sources/replay-file.js';

/** Feeds a replay file through a runtime's real pipeline in batches, then flushes it to ClickHouse; a rejected line fails. */
export async function replayInto(runtime: EmbeddedRuntime, file: string, batchSize = 200): Promise<void> {
  let batch: RawMessage[] = [];
  for await (const item of readReplayFile(file, runtime.codec.encoder)) {
    if (item.type === 'rejected') throw new Error(`fixture line ${item.line} rejected: ${item.error.message}`);
    batch.push(item.message);
    if (batch.length >= batchSize) {
      await runtime.pipeline.process(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await runtime.pipeline.process(batch);
  await runtime.storage.sink.flush();
}
