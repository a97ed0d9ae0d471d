/**
 * The reference-systems simulator: realistic CRM (Debezium), WMS and TMS traffic in the replay-file
 * line format, for the embedded demo, `orderlake simulate`, integration tests and benchmarks.
 * Pure and deterministic for a seed; the caller supplies every clock value.
 */
export { generateScenario } from './generate-scenario.js';
export { createTrafficGenerator, type TrafficGenerator } from './traffic-generator.js';
export { scenarioManifest, type ScenarioOrder } from './scenario-manifest.js';
export { TOPICS, WRITER_SCHEMAS, type ReplayLine } from './replay-line.js';
export {
  DEFAULT_MIX,
  SCENARIO_KINDS,
  STAYS_STUCK_SHARE,
  STUCK_KINDS,
  type ScenarioKind,
  type ScenarioOptions,
  type ShuffleMode,
  type SourceLag,
  type SourceOutage,
  type SourceSystemName,
  type StuckKind,
} from './scenario-options.js';
export { laggedArrival, postponedTime } from './source-windows.js';
