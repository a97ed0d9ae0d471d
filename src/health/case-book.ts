import { OrderlakeError } from '../errors.js';
import { applyAgentAction, stepOfAction, type AgentAction } from './case-actions.js';
import { advanceCase, healCase, lastStageTime, openCase, refreshCase, reopenCase, type CaseOpening, type CaseStage } from './case-steps.js';
import type { CaseChange, CaseStepAction, Evidence, HealthCase } from './health-case.js';

const STAGE_RANK: Readonly<Record<CaseStage | 'none', number>> = { none: 0, at_risk: 1, breached: 2 };

/** The stage a case has reached: breached once it has a breach time, else at risk. */
export function stageOfCase(current: HealthCase): CaseStage {
  return current.breached_at !== null ? 'breached' : 'at_risk';
}

/** Whether stage `a` comes after stage `b` (none < at_risk < breached). */
export function isLaterStage(a: CaseStage, b: CaseStage | 'none'): boolean {
  return STAGE_RANK[a] > STAGE_RANK[b];
}

/** `order:SO-1`, `shipment:SF1`, `source:crm` of a stored case, as `subjectKey` gives for its subject. */
export function caseSubjectKey(current: HealthCase): string {
  return `${current.subject}:${current.order_id ?? current.tracking_no ?? current.source ?? ''}`;
}

/**
 * The cases an engine holds, indexed by subject, and the changes made to them since they were last
 * taken: every change raises the case's version by one and is recorded once, in the order made.
 */
export class CaseBook {
  readonly #cases = new Map<string, HealthCase>();
  /** Settled cases of shipments and sources, oldest first, held a while longer in case their id comes back. */
  readonly #retired = new Set<string>();
  readonly #retain: number;
  readonly #bySubject = new Map<string, Set<string>>();
  #changes: CaseChange[] = [];

  /**
   * `retain`: how many settled shipment and source cases stay held after they resolve. A case whose
   * id comes back while held reopens with its version going on, instead of starting again at 1.
   */
  constructor(retain = 10_000) {
    this.#retain = retain;
  }

  get size(): number {
    return this.#cases.size;
  }

  get(caseId: string): HealthCase | undefined {
    return this.#cases.get(caseId);
  }

  values(): IterableIterator<HealthCase> {
    return this.#cases.values();
  }

  /** Whether any case is held for a subject (`order:SO-1` …): lets callers skip hashing ids for the rest. */
  subjectHasCases(subjectKey: string): boolean {
    return this.#bySubject.has(subjectKey);
  }

  /** Whether the case is held and not resolved. */
  isUnresolved(caseId: string): boolean {
    const current = this.#cases.get(caseId);
    return current !== undefined && current.status !== 'resolved';
  }

  /** Ids of the cases held for a subject (`order:SO-1` …). */
  idsOf(subjectKey: string): string[] {
    return [...(this.#bySubject.get(subjectKey) ?? [])];
  }

  /** The changes made since the last call, oldest first. */
  takeChanges(): CaseChange[] {
    const changes = this.#changes;
    this.#changes = [];
    return changes;
  }

  /**
   * The case of `opening` reaches `stage` at `at`: a new case opens, an unresolved one moves on
   * (never back), a self-healed one reopens. A case an agent resolved stays resolved.
   */
  reach(opening: CaseOpening, stage: CaseStage, at: number, evidence: Evidence): void {
    const current = this.#cases.get(opening.caseId);
    if (current === undefined) this.#record(openCase(opening, stage, at, evidence), null, stage);
    else if (current.status !== 'resolved') {
      if (isLaterStage(stage, stageOfCase(current))) this.#record(advanceCase(current, opening, stage, at, evidence), current, stage);
    } else if (current.resolution === 'self_healed') {
      this.#record(reopenCase(current, opening, stage, at, evidence), current, 'reopened');
    }
  }

  /** The condition of an unresolved case ended: self-healed at `at` (never before its own stages). */
  heal(caseId: string, at: number, evidence: Evidence): void {
    const current = this.#cases.get(caseId);
    if (current === undefined || current.status === 'resolved') return;
    this.#record(healCase(current, Math.max(at, lastStageTime(current)), evidence), current, 'self_healed');
  }

  /** New evidence or plan times for an unresolved case; no change when they are the same. */
  refresh(opening: CaseOpening, evidence: Evidence, at: number): void {
    const current = this.#cases.get(opening.caseId);
    if (current === undefined) return;
    const next = refreshCase(current, opening, evidence, at);
    if (next !== null) this.#record(next, current, 'evidence');
  }

  /** An agent action; throws OL_ERR_CASE_NOT_FOUND or OL_ERR_CASE_ACTION_REFUSED. */
  act(caseId: string, action: AgentAction): CaseChange {
    const current = this.#cases.get(caseId);
    if (current === undefined) {
      throw new OrderlakeError('OL_ERR_CASE_NOT_FOUND', `no case ${caseId} is held here`, { context: { caseId } });
    }
    return this.#record(applyAgentAction(current, action), current, stepOfAction(action));
  }

  /** Holds a stored case again (after a restart or a partition takeover) without a change; the higher version wins. */
  restore(stored: HealthCase): void {
    const held = this.#cases.get(stored.case_id);
    if (held !== undefined && held.version >= stored.version) return;
    this.#put(stored);
  }

  /**
   * A settled case no rule will usually touch again (a linked shipment, a past silence): it stays
   * held among the last `retain` such cases, then leaves memory (the sink has it).
   */
  retire(caseId: string): void {
    if (!this.#cases.has(caseId)) return;
    this.#retired.delete(caseId);
    this.#retired.add(caseId);
    for (const oldest of this.#retired) {
      if (this.#retired.size <= this.#retain) break;
      this.forget(oldest);
    }
  }

  /** Drops a case from memory (it is stored; nothing will change it here again). */
  forget(caseId: string): void {
    const current = this.#cases.get(caseId);
    this.#retired.delete(caseId);
    if (current === undefined) return;
    this.#cases.delete(caseId);
    const key = caseSubjectKey(current);
    const ids = this.#bySubject.get(key);
    ids?.delete(caseId);
    if (ids?.size === 0) this.#bySubject.delete(key);
  }

  #put(next: HealthCase): void {
    if (next.status !== 'resolved') this.#retired.delete(next.case_id);
    this.#cases.set(next.case_id, next);
    const key = caseSubjectKey(next);
    let ids = this.#bySubject.get(key);
    if (ids === undefined) {
      ids = new Set();
      this.#bySubject.set(key, ids);
    }
    ids.add(next.case_id);
  }

  #record(next: HealthCase, previous: HealthCase | null, step: CaseStepAction | 'evidence'): CaseChange {
    this.#put(next);
    const change: CaseChange = { caseId: next.case_id, case: next, previous, version: next.version, step };
    this.#changes.push(change);
    return change;
  }
}
