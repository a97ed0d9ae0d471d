import { OrderlakeError } from '../errors.js';
import type { CanonicalEvent, SourcePosition } from './canonical-event.js';
import { compilePipeline, type CompiledPipeline } from './compile-pipeline.js';
import type { Pipeline } from './pipeline-schema.js';

/** Turns decoded source records into canonical events, one compiled pipeline per topic. */
export interface Normalizer {
  /**
   * The canonical event for one decoded value, or null for a tombstone the topic allows
   * (tombstones carry nothing and are not counted). Throws an `OrderlakeError` whose `context` is
   * `position` — a dead letter — for anything else that cannot be read.
   */
  normalize(topic: string, value: unknown | null, position: SourcePosition): CanonicalEvent | null;
  /** The pipeline that reads `topic`, if any. */
  pipelineFor(topic: string): Pipeline | undefined;
  /** Every topic some pipeline reads, e.g. for the Kafka subscription. */
  readonly topics: readonly string[];
}

interface Entry {
  readonly pipeline: Pipeline;
  readonly run: CompiledPipeline;
}

function withPosition(err: unknown, pipeline: Pipeline, position: SourcePosition): OrderlakeError {
  const code = err instanceof OrderlakeError ? err.code : 'OL_ERR_NORMALIZE_MAPPING';
  const message = err instanceof Error ? err.message : String(err);
  return new OrderlakeError(code, `${pipeline.name} (${pipeline.topic}): ${message}`, {
    cause: err instanceof OrderlakeError ? undefined : err,
    context: { ...position },
  });
}

/**
 * Compiles every pipeline once up front, so the per-record path is a map lookup and the pipeline's
 * own closure. Pure: no I/O, no clock; pipelines come from `loadPipelines`.
 */
export function createNormalizer(pipelines: readonly Pipeline[]): Normalizer {
  const byTopic = new Map<string, Entry>();
  for (const pipeline of pipelines) {
    if (byTopic.has(pipeline.topic)) {
      throw new OrderlakeError('OL_ERR_PIPELINE_INVALID', `${pipeline.file}: topic: topic ${pipeline.topic} is read by more than one pipeline`, {
        context: { file: pipeline.file },
      });
    }
    byTopic.set(pipeline.topic, { pipeline, run: compilePipeline(pipeline) });
  }
  const topics = Object.freeze([...byTopic.keys()]);

  return {
    topics,
    pipelineFor: (topic) => byTopic.get(topic)?.pipeline,
    normalize(topic, value, position) {
      const entry = byTopic.get(topic);
      if (entry === undefined) {
        throw new OrderlakeError('OL_ERR_NO_PIPELINE', `no pipeline reads topic ${topic}`, { context: { ...position } });
      }
      try {
        return entry.run(value);
      } catch (err) {
        throw withPosition(err, entry.pipeline, position);
      }
    },
  };
}
