import { OrderlakeError } from '../errors.js';
import { isoTimestamp } from '../golden/iso-timestamp.js';
import type { CaseStep, CaseStepAction, HealthCase } from './health-case.js';

/**
 * What an agent does to a case. `by` names the agent (the API passes the principal), `at` is the
 * caller's clock (epoch ms): the core reads no clock.
 */
export type AgentAction =
  | { readonly type: 'acknowledge'; readonly by: string; readonly at: number }
  | { readonly type: 'assign'; readonly by: string; readonly at: number; readonly assignee: string }
  | { readonly type: 'comment'; readonly by: string; readonly at: number; readonly text: string }
  | { readonly type: 'resolve'; readonly by: string; readonly at: number; readonly note?: string };

const STEP_OF: Readonly<Record<AgentAction['type'], CaseStepAction>> = {
  acknowledge: 'acknowledged',
  assign: 'assigned',
  comment: 'commented',
  resolve: 'resolved',
};

function refuse(current: HealthCase, action: AgentAction, reason: string): OrderlakeError {
  return new OrderlakeError('OL_ERR_CASE_ACTION_REFUSED', `cannot ${action.type} case ${current.case_id}: ${reason}`, {
    context: { caseId: current.case_id, action: action.type, status: current.status },
  });
}

function check(current: HealthCase, action: AgentAction): void {
  if (action.by.trim() === '') throw refuse(current, action, 'the agent (by) is empty');
  if (!Number.isFinite(action.at)) throw refuse(current, action, 'the time (at) is not a number');
  switch (action.type) {
    case 'acknowledge':
      if (current.status !== 'open') throw refuse(current, action, `it is ${current.status}, not open`);
      return;
    case 'assign':
      if (current.status === 'resolved') throw refuse(current, action, 'it is resolved');
      if (action.assignee.trim() === '') throw refuse(current, action, 'the assignee is empty');
      return;
    case 'comment':
      if (action.text.trim() === '') throw refuse(current, action, 'the comment is empty');
      return;
    case 'resolve':
      if (current.status === 'resolved') throw refuse(current, action, 'it is already resolved');
      return;
  }
}

function noteOf(action: AgentAction): string | null {
  if (action.type === 'assign') return action.assignee;
  if (action.type === 'comment') return action.text;
  if (action.type === 'resolve') return action.note ?? null;
  return null;
}

/**
 * Applies an agent action to a case: pure, recorded in the history with who and when, version + 1.
 * Acknowledge needs an open case; assign and resolve an unresolved one; a comment fits any case.
 * A refused action throws `OL_ERR_CASE_ACTION_REFUSED` and changes nothing.
 */
export function applyAgentAction(current: HealthCase, action: AgentAction): HealthCase {
  check(current, action);
  const at = isoTimestamp(action.at);
  const step: CaseStep = { at, by: action.by, action: STEP_OF[action.type], note: noteOf(action) };
  const next: HealthCase = { ...current, updated_at: at, version: current.version + 1, history: [...current.history, step] };
  if (action.type === 'acknowledge') next.status = 'acknowledged';
  if (action.type === 'assign') next.assignee = action.assignee;
  if (action.type === 'resolve') {
    next.status = 'resolved';
    next.resolved_at = at;
    next.resolution = 'by_agent';
  }
  return next;
}

/** The history step an agent action records. */
export function stepOfAction(action: AgentAction): CaseStepAction {
  return STEP_OF[action.type];
}
