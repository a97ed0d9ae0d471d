/**
 * The composition root: `src/runtime/` holds one composition module per mode (embedded, Kafka)
 * sharing one wiring of the stages (`stages.ts`) and one API assembly (`api.ts`); it is the only
 * place that creates Kafka, ClickHouse and HTTP clients. The CLI, the tests and the benchmarks all
 * build their runtimes through it. Every stage is a factory that takes what it needs.
 */
export { createCodec, type Codec } from './runtime/codec.js';
export { createStorage, type Storage } from './runtime/storage.js';
export { rebuildState } from './runtime/state-rebuild.js';
export { createEmbeddedRuntime, type EmbeddedRuntime } from './runtime/embedded-runtime.js';
export { createKafkaRuntime, startKafkaRuntime, type KafkaRuntime } from './runtime/kafka-runtime.js';
