/**
 * The health stage: declarative rules (`pipelines/rules/*.yaml`) evaluated in event time over
 * golden view changes, source arrivals and shipment waits, opening exception cases that resolve
 * themselves when the missing event arrives. Pure apart from reading the rule files: the runtime
 * feeds inputs and persists and pushes the case changes it gets back.
 */
export { loadRules, lintRules, ruleProblemsOf, rulesDirectoryOf, checkRuleTexts } from './load-rules.js';
export { parseRuleFile, type ParsedRuleFile } from './parse-rule-file.js';
export { ruleFileSchema, durationSchema, type Rule, type RuleConfig } from './rule-schema.js';
export {
  conditionSchema,
  subjectOf,
  type CaseSubjectKind,
  type ConditionKind,
  type RuleCondition,
  type WaitingCondition,
  type ExceptionCondition,
  type SourceSilentCondition,
  type SourceLaggingCondition,
} from './condition-schema.js';
export { playbookStepSchema, LINK_PLACEHOLDERS, type PlaybookStepConfig } from './playbook-schema.js';
export {
  SEVERITIES,
  SOURCE_SYSTEMS,
  PLAYBOOK_ACTIONS,
  VIEW_TIME_FIELDS,
  CANONICAL_STATUSES,
  SHIPMENT_STATUSES,
  ORDER_EXCEPTION_CODES,
  EVIDENCE_FIELDS,
  LAG_STATISTICS,
  type Severity,
  type SourceSystem,
  type PlaybookAction,
  type ViewTimeField,
  type EvidenceField,
  type LagStatistic,
} from './rule-vocabulary.js';
export { parseDuration, formatDuration } from './duration.js';
export { createHealthEngine, type HealthEngine, type HealthEngineOptions, type HealthEngineStats } from './health-engine.js';
export type { EventClockOptions } from './event-clock.js';
export {
  batchInputs,
  type HealthInput,
  type ViewInput,
  type Arrival,
  type ArrivalsInput,
  type WatermarkInput,
  type ClockInput,
  type ShipmentWaitingInput,
  type ShipmentLinkedInput,
} from './health-input.js';
export {
  RULE_ACTOR,
  type HealthCase,
  type CaseChange,
  type CaseStep,
  type CaseStepAction,
  type CaseStatus,
  type CaseResolution,
  type CasePlaybookStep,
  type Evidence,
  type JsonValue,
} from './health-case.js';
export { applyAgentAction, type AgentAction } from './case-actions.js';
export { caseIdOf } from './case-id.js';
export { compareCases } from './case-order.js';
export { subjectKey, type CaseSubject } from './case-subject.js';
export { thresholdFor } from './order-plan.js';
export type { PipelineProblem as RuleProblem } from '../normalize/index.js';
