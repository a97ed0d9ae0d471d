import type { GoldenViewBody } from '../golden/index.js';
import type { ExceptionCondition, WaitingCondition } from './condition-schema.js';
import { timedPlan, type TimedPlan } from './timed-plan.js';
import type { Rule } from './rule-schema.js';
import type { Evidence } from './health-case.js';
import type { EvidenceField } from './rule-vocabulary.js';
import { pickEvidence, viewTime } from './view-facts.js';

/** The rule's threshold for an order of `channel`: the channel's override, else the rule's. */
export function thresholdFor(rule: Rule, channel: string | null): number {
  const override = channel === null ? undefined : rule.channels?.[channel];
  return override?.threshold ?? rule.threshold;
}

function guardHolds(when: WaitingCondition['when'], status: string | null): boolean {
  if (when === undefined) return true;
  if (when.status_in !== undefined) return status !== null && (when.status_in as readonly string[]).includes(status);
  if (when.status_not_in !== undefined) return status === null || !(when.status_not_in as readonly string[]).includes(status);
  return true;
}

/** The view fields an order rule records: the rule's `evidence`, else the status and what the condition reads. */
function evidenceFields(rule: Rule): readonly EvidenceField[] {
  if (rule.evidence !== undefined) return rule.evidence;
  const condition = rule.condition;
  if (condition.kind === 'waiting') return ['status', condition.since, ...(condition.until.field === undefined ? [] : [condition.until.field])];
  return ['status', 'exceptions'];
}

/** The evidence an order rule records from a view (also what a self-healed case ends with). */
export function orderEvidence(rule: Rule, view: GoldenViewBody): Evidence {
  const evidence = pickEvidence(view, evidenceFields(rule));
  const condition = rule.condition;
  if (condition.kind !== 'exception') return evidence;
  return { codes: condition.codes.filter((code) => view.exceptions.includes(code)), ...evidence };
}

function waitingPlan(rule: Rule, condition: WaitingCondition, view: GoldenViewBody): TimedPlan | null {
  const since = viewTime(view, condition.since);
  if (since === null) return null;
  const { until } = condition;
  let endedAt: number | null = null;
  if (until.field !== undefined) {
    endedAt = viewTime(view, until.field);
    // Reached before the wait began: there was no wait (e.g. released before paid).
    if (endedAt !== null && endedAt < since) return null;
  }
  if (endedAt === null) {
    if (!guardHolds(condition.when, view.status)) return null;
    if (until.status_in !== undefined && view.status !== null && (until.status_in as readonly string[]).includes(view.status)) return null;
    const scanned = until.shipment_status_in as readonly string[] | undefined;
    if (scanned !== undefined && view.shipments.some((shipment) => scanned.includes(shipment.status))) return null;
  }
  return timedPlan({
    anchor: `${condition.since}=${view[condition.since] ?? ''}`,
    since,
    thresholdMs: thresholdFor(rule, view.channel),
    atRiskShare: rule.at_risk_share,
    channel: view.channel,
    endedAt,
    evidence: () => orderEvidence(rule, view),
  });
}

function exceptionPlan(rule: Rule, condition: ExceptionCondition, view: GoldenViewBody, at: number, firstSeen: number | undefined): TimedPlan | null {
  const present = condition.codes.filter((code) => view.exceptions.includes(code));
  if (present.length === 0 || !guardHolds(condition.when, view.status)) return null;
  return timedPlan({
    anchor: 'exception',
    since: firstSeen ?? at,
    thresholdMs: thresholdFor(rule, view.channel),
    atRiskShare: rule.at_risk_share,
    channel: view.channel,
    endedAt: null,
    evidence: () => orderEvidence(rule, view),
  });
}

/**
 * What an order rule says about a view: the plan of the condition's current episode, or null when
 * the condition does not hold (the rule is idle, and any case of it self-heals).
 *
 * - `waiting`: from the `since` timestamp until `until` is reached. A `field` reached ends the plan
 *   exactly at its value; a status, a shipment status or a failed `when` guard makes it null.
 * - `exception`: while any of `codes` is in `exceptions` (and `when` holds), from `firstSeen` — the
 *   time the episode was first seen, kept by the caller — or else `at`, the order's newest event time.
 */
export function orderPlan(rule: Rule, view: GoldenViewBody, at: number, firstSeen: number | undefined): TimedPlan | null {
  const condition = rule.condition;
  if (condition.kind === 'waiting') return waitingPlan(rule, condition, view);
  if (condition.kind === 'exception') return exceptionPlan(rule, condition, view, at, firstSeen);
  return null;
}
