import type { CaseSubjectKind } from './condition-schema.js';
import type { PlaybookAction, Severity, SourceSystem } from './rule-vocabulary.js';

/** A JSON value, as evidence holds them (copied view fields, times, counts). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Why a case fired: named values, e.g. `{ status: 'PAID', paid_at: '…', released_at: null }`. */
export type Evidence = Record<string, JsonValue>;

/** A playbook step as it appears on a case: its link filled in for the case's order, shipment or source. */
export interface CasePlaybookStep {
  step: string;
  action: PlaybookAction | null;
  link: string | null;
}

/** What a case step did. Rule steps are made by {@link RULE_ACTOR}; the others by an agent. */
export type CaseStepAction =
  | 'at_risk'
  | 'breached'
  | 'self_healed'
  | 'reopened'
  | 'acknowledged'
  | 'assigned'
  | 'commented'
  | 'resolved';

/** One recorded step of a case: when (ISO), by whom, and what. */
export interface CaseStep {
  at: string;
  by: string;
  action: CaseStepAction;
  /** The comment, the assignee, or the stage a reopened case returned to; null otherwise. */
  note: string | null;
}

/** Who records the steps the rules take (as opposed to an agent). */
export const RULE_ACTOR = 'orderlake';

/** open → (acknowledged) → resolved. A case at risk is open, with `at_risk` true. */
export type CaseStatus = 'open' | 'acknowledged' | 'resolved';

/** self_healed: the missing event arrived (or the condition stopped applying); by_agent: an agent closed it. */
export type CaseResolution = 'self_healed' | 'by_agent';

/**
 * An exception case: one rule firing for one order (or tracking number, or source system). Times
 * are ISO-8601 UTC; the rule's steps use event time, an agent's steps the time the caller passed.
 */
export interface HealthCase {
  /** Deterministic: a hash of the subject, the rule and the anchor, so a replay gives the same ids. */
  case_id: string;
  rule: string;
  /** What the case is about; exactly the matching one of order_id, tracking_no and source is set. */
  subject: CaseSubjectKind;
  order_id: string | null;
  tracking_no: string | null;
  source: SourceSystem | null;
  /** The rule's description, for the agent reading the case. */
  description: string;
  severity: Severity;
  queue: string;
  playbook: CasePlaybookStep[];
  status: CaseStatus;
  /** True while the case is a warning: a share of the threshold used, the threshold not yet passed. */
  at_risk: boolean;
  /** The order's channel (order cases), which chose the threshold; null otherwise. */
  channel: string | null;
  /** The threshold the case was judged by (the channel's override when there is one). Unit: ms. */
  threshold_ms: number;
  /** When the condition started (event time): the start of the wait, the silence, the lag. */
  since: string;
  /** When the case breaches (or breached): `since + threshold`; null for lag cases, which breach by value. */
  due_at: string | null;
  /** When the case opened (event time): its first stage. */
  opened_at: string;
  at_risk_at: string | null;
  breached_at: string | null;
  updated_at: string;
  resolved_at: string | null;
  resolution: CaseResolution | null;
  assignee: string | null;
  evidence: Evidence;
  /** Rises by one with every change, like a golden view's. */
  version: number;
  /** Every step, oldest first: the rule's stages and heals, and each agent action. */
  history: CaseStep[];
}

/** One change of a case: what the sink writes and the feed pushes. */
export interface CaseChange {
  caseId: string;
  case: HealthCase;
  /** The case before this change; null when the change opened it. */
  previous: HealthCase | null;
  version: number;
  /** The step this change recorded, or `evidence` when only the evidence changed. */
  step: CaseStepAction | 'evidence';
}
