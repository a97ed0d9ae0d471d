import { isoTimestamp } from '../golden/iso-timestamp.js';
import { jsonEqual } from '../golden/json-equal.js';
import { isoMillis } from './iso-millis.js';
import { linkValues, subjectFields, type CaseSubject } from './case-subject.js';
import { RULE_ACTOR, type CasePlaybookStep, type Evidence, type HealthCase } from './health-case.js';
import type { Rule } from './rule-schema.js';

/** The two stages of a firing: the warning (a share of the threshold used) and the breach. */
export type CaseStage = 'at_risk' | 'breached';

/** Everything a case needs that does not change with its stages. */
export interface CaseOpening {
  readonly caseId: string;
  readonly rule: Rule;
  readonly subject: CaseSubject;
  readonly channel: string | null;
  readonly thresholdMs: number;
  readonly since: number;
  /** When the case warns, for cases with an at-risk stage in time; null otherwise. */
  readonly atRiskAt: number | null;
  /** null for cases that breach by value (lag), not by time. */
  readonly dueAt: number | null;
}

function playbookFor(rule: Rule, subject: CaseSubject, caseId: string): CasePlaybookStep[] {
  const values = linkValues(subject, caseId);
  return rule.playbook.map((step) => ({
    step: step.step,
    action: step.action ?? null,
    link: step.link === undefined ? null : step.link.replace(/\{([a-z_]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? '')),
  }));
}

/** The case fields that come from the plan: they follow it while the case is unresolved (an earlier wait start, another channel). */
function planFields(opening: CaseOpening): Pick<HealthCase, 'channel' | 'threshold_ms' | 'since' | 'due_at'> {
  return {
    channel: opening.channel,
    threshold_ms: opening.thresholdMs,
    since: isoTimestamp(opening.since),
    due_at: opening.dueAt === null ? null : isoTimestamp(opening.dueAt),
  };
}

/** Stage times already reached follow the plan's, so a timed case always warned and breached when its plan says. */
function alignStages(next: HealthCase, opening: CaseOpening): HealthCase {
  if (next.at_risk_at !== null && opening.atRiskAt !== null) next.at_risk_at = isoTimestamp(opening.atRiskAt);
  if (next.breached_at !== null && opening.dueAt !== null) next.breached_at = isoTimestamp(opening.dueAt);
  return next;
}

function stageFields(stage: CaseStage, at: string): Pick<HealthCase, 'at_risk' | 'at_risk_at' | 'breached_at'> | Pick<HealthCase, 'at_risk' | 'breached_at'> {
  return stage === 'at_risk' ? { at_risk: true, at_risk_at: at, breached_at: null } : { at_risk: false, breached_at: at };
}

/** A new case at its first stage; `at` is the stage's event time. */
export function openCase(opening: CaseOpening, stage: CaseStage, at: number, evidence: Evidence): HealthCase {
  const when = isoTimestamp(at);
  return {
    case_id: opening.caseId,
    rule: opening.rule.name,
    ...subjectFields(opening.subject),
    description: opening.rule.description,
    severity: opening.rule.severity,
    queue: opening.rule.queue,
    playbook: playbookFor(opening.rule, opening.subject, opening.caseId),
    status: 'open',
    ...planFields(opening),
    opened_at: when,
    at_risk_at: null,
    ...stageFields(stage, when),
    updated_at: when,
    resolved_at: null,
    resolution: null,
    assignee: null,
    evidence,
    version: 1,
    history: [{ at: when, by: RULE_ACTOR, action: stage, note: null }],
  };
}

/** An open case moves on to a later stage (at risk → breached). */
export function advanceCase(current: HealthCase, opening: CaseOpening, stage: CaseStage, at: number, evidence: Evidence): HealthCase {
  const when = isoTimestamp(at);
  return alignStages(
    {
      ...current,
      ...planFields(opening),
      ...stageFields(stage, when),
      evidence,
      updated_at: when,
      version: current.version + 1,
      history: [...current.history, { at: when, by: RULE_ACTOR, action: stage, note: null }],
    },
    opening,
  );
}

/**
 * A self-healed case whose condition holds again (an exception code came back) opens again under
 * the same id, at `stage`, from the new times of `opening`; an agent's resolution is never undone.
 */
export function reopenCase(current: HealthCase, opening: CaseOpening, stage: CaseStage, at: number, evidence: Evidence): HealthCase {
  const when = isoTimestamp(at);
  return {
    ...current,
    status: 'open',
    ...planFields(opening),
    at_risk_at: null,
    ...stageFields(stage, when),
    resolved_at: null,
    resolution: null,
    evidence,
    updated_at: when,
    version: current.version + 1,
    history: [...current.history, { at: when, by: RULE_ACTOR, action: 'reopened', note: stage }],
  };
}

/** The missing event arrived, or the condition stopped applying: resolved as self-healed at `at`. */
export function healCase(current: HealthCase, at: number, evidence: Evidence): HealthCase {
  const when = isoTimestamp(at);
  return {
    ...current,
    status: 'resolved',
    resolved_at: when,
    resolution: 'self_healed',
    evidence,
    updated_at: when,
    version: current.version + 1,
    history: [...current.history, { at: when, by: RULE_ACTOR, action: 'self_healed', note: null }],
  };
}

/**
 * The evidence or the plan of an unresolved case changed (the order moved on, still stuck; the wait
 * turned out to have started earlier); null when nothing did. Stage times already reached follow
 * the plan, so a timed case always breached at its `due_at`.
 */
export function refreshCase(current: HealthCase, opening: CaseOpening, evidence: Evidence, at: number): HealthCase | null {
  if (current.status === 'resolved') return null;
  const next = alignStages({ ...current, ...planFields(opening), evidence }, opening);
  if (jsonEqual(current, next)) return null;
  return { ...next, updated_at: isoTimestamp(at), version: current.version + 1 };
}

/** The latest event time a rule step of the case happened at (epoch ms). */
export function lastStageTime(current: HealthCase): number {
  let latest = isoMillis(current.opened_at);
  for (const at of [current.at_risk_at, current.breached_at, current.resolved_at]) {
    if (at !== null) latest = Math.max(latest, isoMillis(at));
  }
  return latest;
}
