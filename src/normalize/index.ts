/**
 * The normalize stage: declarative pipelines (pipelines/*.yaml) that turn decoded CRM/WMS/TMS
 * records into canonical events. Pure apart from reading the pipeline files at startup.
 */
export { loadPipelines, lintPipelines, pipelineProblemsOf, checkPipelineTexts, type LoadPipelinesOptions, type PipelineText } from './load-pipelines.js';
export { parsePipelineFile } from './parse-pipeline-file.js';
export { formatProblem, type PipelineProblem } from './pipeline-problem.js';
export { createNormalizer, type Normalizer } from './create-normalizer.js';
export {
  pipelineFileSchema,
  FIELD_TYPES,
  EMIT_KINDS,
  type Pipeline,
  type PipelineConfig,
  type FieldMapping,
  type FieldType,
  type EmitKind,
  type ValueMap,
} from './pipeline-schema.js';
export { CANONICAL_FIELDS, type CanonicalFieldSpec, type CanonicalValueKind } from './canonical-fields.js';
export type { SchemaSetLike } from './avro-schema-paths.js';
export { parseZonedTimestamp, microsToMillis, isCanonicalMillis, MIN_CANONICAL_MILLIS, MAX_CANONICAL_MILLIS } from './timestamps.js';
export { isCanonicalDecimal } from './canonical-decimal.js';
export * from './canonical-event.js';
