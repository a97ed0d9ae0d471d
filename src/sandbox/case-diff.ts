import { compareCodePoints } from '../golden/index.js';
import type { HealthCase } from '../health/index.js';

/** What the sandbox shows of one exception case: its outcome, not its history or evidence. */
export interface CaseState {
  case_id: string;
  rule: string;
  severity: string;
  queue: string;
  status: string;
  resolution: string | null;
  at_risk: boolean;
  /** The threshold was passed (`breached_at` set) at some point, whatever the case's status now. */
  breached: boolean;
  threshold_ms: number;
  since: string;
  due_at: string | null;
  opened_at: string;
  resolved_at: string | null;
}

/** The fields of {@link CaseState} compared between production and the candidate (the id is matched, not compared). */
export const COMPARED_CASE_FIELDS = [
  'severity',
  'queue',
  'status',
  'resolution',
  'at_risk',
  'breached',
  'threshold_ms',
  'since',
  'due_at',
  'opened_at',
  'resolved_at',
] as const satisfies ReadonlyArray<keyof CaseState>;

export type ComparedCaseField = (typeof COMPARED_CASE_FIELDS)[number];

/**
 * One case that differs: `opened` exists only with the candidate, `closed` only with production,
 * `changed` exists on both sides with different outcomes (`fields` names which).
 */
export interface CaseDiff {
  rule: string;
  change: 'opened' | 'closed' | 'changed';
  before: CaseState | null;
  after: CaseState | null;
  fields: ComparedCaseField[];
}

/** How one order's exception cases differ between production's files and the candidate's. */
export interface OrderCasesDiff {
  order_id: string;
  cases: CaseDiff[];
}

export function caseStateOf(held: HealthCase): CaseState {
  return {
    case_id: held.case_id,
    rule: held.rule,
    severity: held.severity,
    queue: held.queue,
    status: held.status,
    resolution: held.resolution,
    at_risk: held.at_risk,
    breached: held.breached_at !== null,
    threshold_ms: held.threshold_ms,
    since: held.since,
    due_at: held.due_at,
    opened_at: held.opened_at,
    resolved_at: held.resolved_at,
  };
}

function bySince(a: CaseState, b: CaseState): number {
  return compareCodePoints(a.since, b.since) || compareCodePoints(a.case_id, b.case_id);
}

/**
 * The cases of one order compared. A case is matched first by id (a hash of order, rule and the
 * start of the wait, so an unchanged episode keeps it); what is left of a rule on both sides (the
 * candidate moved the start of the wait, so the id changed) is paired in order of `since` and
 * reported as changed; the rest is opened or closed. Sorted by rule, then case.
 */
export function diffOrderCases(baseline: readonly HealthCase[], candidate: readonly HealthCase[]): CaseDiff[] {
  const before = new Map(baseline.map((c) => [c.case_id, caseStateOf(c)]));
  const after = new Map(candidate.map((c) => [c.case_id, caseStateOf(c)]));
  const out: CaseDiff[] = [];
  const leftBefore = new Map<string, CaseState[]>();
  const leftAfter = new Map<string, CaseState[]>();
  const push = (into: Map<string, CaseState[]>, state: CaseState) => {
    const list = into.get(state.rule) ?? [];
    list.push(state);
    into.set(state.rule, list);
  };
  for (const [id, b] of before) {
    const a = after.get(id);
    if (a === undefined) push(leftBefore, b);
    else compare(b, a, out);
  }
  for (const [id, a] of after) if (!before.has(id)) push(leftAfter, a);
  for (const rule of new Set([...leftBefore.keys(), ...leftAfter.keys()])) {
    const b = (leftBefore.get(rule) ?? []).sort(bySince);
    const a = (leftAfter.get(rule) ?? []).sort(bySince);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = b[i];
      const y = a[i];
      if (x !== undefined && y !== undefined) compare(x, y, out, true);
      else if (y !== undefined) out.push({ rule, change: 'opened', before: null, after: y, fields: [] });
      else if (x !== undefined) out.push({ rule, change: 'closed', before: x, after: null, fields: [] });
    }
  }
  return out.sort(
    (x, y) =>
      compareCodePoints(x.rule, y.rule) ||
      compareCodePoints((x.before ?? x.after)!.since, (y.before ?? y.after)!.since) ||
      compareCodePoints((x.before ?? x.after)!.case_id, (y.before ?? y.after)!.case_id),
  );
}

function compare(b: CaseState, a: CaseState, out: CaseDiff[], idChanged = false): void {
  const fields = COMPARED_CASE_FIELDS.filter((f) => b[f] !== a[f]);
  // Paired across ids, the wait began at another time: `since` differs, or the anchor field did.
  if (fields.length > 0 || idChanged) out.push({ rule: b.rule, change: 'changed', before: b, after: a, fields });
}

/** Cases opened, closed and changed, per rule and in all. */
export interface CaseTotals {
  opened: number;
  closed: number;
  changed: number;
  by_rule: Record<string, { opened: number; closed: number; changed: number }>;
}

export function caseTotals(orders: readonly OrderCasesDiff[]): CaseTotals {
  const totals: CaseTotals = { opened: 0, closed: 0, changed: 0, by_rule: {} };
  for (const order of orders) {
    for (const d of order.cases) {
      totals[d.change]++;
      const rule = (totals.by_rule[d.rule] ??= { opened: 0, closed: 0, changed: 0 });
      rule[d.change]++;
    }
  }
  const sorted: CaseTotals['by_rule'] = {};
  for (const rule of Object.keys(totals.by_rule).sort(compareCodePoints)) sorted[rule] = totals.by_rule[rule]!;
  totals.by_rule = sorted;
  return totals;
}

/** One line for a case's outcome: `breached open`, `at risk open`, `breached resolved (self_healed)`. */
export function caseOutcome(state: CaseState | null): string {
  if (state === null) return '(no case)';
  const stage = state.breached ? 'breached' : state.at_risk ? 'at risk' : 'open';
  const status = state.status === 'resolved' ? `resolved${state.resolution ? ` (${state.resolution})` : ''}` : state.status;
  return stage === 'open' ? status : `${stage}, ${status}`;
}
