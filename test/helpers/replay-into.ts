import type { EmbeddedRuntime } from '../../src/main.js';
import type { RawMessage } from '../../src/pipeline/raw-message.js';
import { readReplayFile } from '../../src/sources/replay-file.js';
import type { ReplayLine } from '../../src/simulator/index.js';

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

/**
 * Simulated lines as the simulator hands them to a pipeline: encoded with the runtime's encoder,
 * numbered by their offset within their topic (continuing from `offsets`, which is updated, so a
 * test can feed a scenario in several parts).
 */
export async function encodeLinesFor(
  encoder: EmbeddedRuntime['codec']['encoder'],
  lines: readonly ReplayLine[],
  offsets: Map<string, number> = new Map(),
): Promise<RawMessage[]> {
  const messages: RawMessage[] = [];
  for (const line of lines) {
    const offset = offsets.get(line.topic) ?? 0;
    offsets.set(line.topic, offset + 1);
    messages.push({
      topic: line.topic,
      partition: 0,
      offset: String(offset),
      timestamp: line.timestamp ?? 0,
      key: await encoder.encodeKey(line.topic, line.key),
      value: line.value === null ? null : await encoder.encode(line.topic, line.schema, line.value),
    });
  }
  return messages;
}
