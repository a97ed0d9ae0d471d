import { CaseBook, isLaterStage, stageOfCase } from './case-book.js';
import { caseIdOf } from './case-id.js';
import type { CaseOpening, CaseStage } from './case-steps.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import type { Evidence } from './health-case.js';
import type { Rule } from './rule-schema.js';
import { nextStage, type TimedPlan } from './timed-plan.js';
import { TimerQueue } from './timer-queue.js';

/** A rule's current episode for one subject: its plan, its case id and the stage it has reached. */
interface Slot {
  readonly key: string;
  readonly subjectId: string;
  readonly subject: CaseSubject;
  readonly rule: Rule;
  plan: TimedPlan;
  /** Computed when first needed: most episodes never open a case. */
  caseId: string | undefined;
  reached: CaseStage | 'none';
}

/**
 * Turns timed plans into case steps: one slot per subject × rule while its condition holds, a
 * deadline per slot for its next stage in a {@link TimerQueue}, and stages taken in event-time order
 * as the watermark passes them — or at once, when a plan's exact end shows they happened.
 */
export class PlanSlots {
  readonly #book: CaseBook;
  readonly #slots = new Map<string, Map<string, Slot>>();
  readonly #timers = new TimerQueue();

  constructor(book: CaseBook) {
    this.#book = book;
  }

  /** Deadlines waiting for the watermark. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** The plan currently held for a subject (its `subjectKey`) and rule. */
  planOf(subjectId: string, rule: Rule): TimedPlan | undefined {
    return this.#slots.get(subjectId)?.get(rule.name)?.plan;
  }

  /** Ids of the cases the subject's live slots stand for. */
  liveCaseIds(subject: CaseSubject): Set<string> {
    const ids = new Set<string>();
    for (const slot of this.#slots.get(subjectKey(subject))?.values() ?? []) ids.add(this.#caseIdOf(slot));
    return ids;
  }

  /**
   * Brings a subject's rule (`subjectId` is the subject's key) to `plan` at event time `now`. A null
   * plan, or one of another episode (another anchor), ends the held one: its case self-heals at
   * `endAt` with `endEvidence`. Stages due by `now` (or by the plan's exact end) are taken; the
   * next one is scheduled.
   */
  update(subject: CaseSubject, subjectId: string, rule: Rule, plan: TimedPlan | null, now: number, endAt: number, endEvidence: () => Evidence): void {
    let slot = this.#slots.get(subjectId)?.get(rule.name);
    if (slot !== undefined && (plan === null || plan.anchor !== slot.plan.anchor)) {
      if (plan !== null && slot.reached === 'none' && slot.caseId === undefined) {
        // Nothing of the old episode was told (no stage, no case id asked for): the new one simply
        // takes its place, without hashing an id for it yet.
        slot.plan = plan;
        this.#settle(slot, now);
        return;
      }
      this.#close(slot, endAt, endEvidence);
      slot = undefined;
    }
    if (plan === null) return;
    slot ??= this.#open(subjectId, subject, rule, plan);
    slot.plan = plan;
    this.#settle(slot, now);
  }

  /** Takes every stage due by `watermark`, in (time, key) order. */
  fireDue(watermark: number): void {
    for (let due = this.#timers.popDue(watermark); due !== undefined; due = this.#timers.popDue(watermark)) {
      const cut = due.key.lastIndexOf('\u0000');
      const slot = this.#slots.get(due.key.slice(0, cut))?.get(due.key.slice(cut + 1));
      if (slot !== undefined) this.#settle(slot, due.at);
    }
  }

  /** Forgets a subject's slots and deadlines (its partition moved; its cases are stored). */
  drop(subject: CaseSubject): void {
    const key = subjectKey(subject);
    for (const slot of this.#slots.get(key)?.values() ?? []) this.#timers.delete(slot.key);
    this.#slots.delete(key);
  }

  #caseIdOf(slot: Slot): string {
    slot.caseId ??= caseIdOf(slot.subjectId, slot.rule.name, slot.plan.anchor);
    return slot.caseId;
  }

  #open(subjectId: string, subject: CaseSubject, rule: Rule, plan: TimedPlan): Slot {
    const slot: Slot = { key: `${subjectId}\u0000${rule.name}`, subjectId, subject, rule, plan, caseId: undefined, reached: 'none' };
    // A case of this episode may be held already (restored after a takeover): carry on from it.
    const existing = this.#book.subjectHasCases(subjectId) ? this.#book.get(this.#caseIdOf(slot)) : undefined;
    if (existing !== undefined) {
      if (existing.status !== 'resolved') slot.reached = stageOfCase(existing);
      // An agent's resolution is final, and an episode that ended exactly is already told in full.
      else if (existing.resolution === 'by_agent' || plan.endedAt !== null) slot.reached = 'breached';
    }
    let bySubject = this.#slots.get(subjectId);
    if (bySubject === undefined) {
      bySubject = new Map();
      this.#slots.set(subjectId, bySubject);
    }
    bySubject.set(rule.name, slot);
    return slot;
  }

  #settle(slot: Slot, now: number): void {
    const { plan } = slot;
    const limit = plan.endedAt ?? now;
    let next = nextStage(plan, slot.reached);
    while (next !== null && next.at <= limit) {
      this.#book.reach(this.#opening(slot), next.stage, next.at, plan.evidence());
      slot.reached = next.stage;
      next = nextStage(plan, slot.reached);
    }
    if (plan.endedAt !== null) {
      this.#close(slot, plan.endedAt, plan.evidence);
      return;
    }
    if (slot.caseId !== undefined && this.#book.isUnresolved(slot.caseId)) this.#book.refresh(this.#opening(slot), plan.evidence(), now);
    if (next === null) this.#timers.delete(slot.key);
    else this.#timers.set(slot.key, next.at);
  }

  #opening(slot: Slot): CaseOpening {
    const { plan } = slot;
    return {
      caseId: this.#caseIdOf(slot),
      rule: slot.rule,
      subject: slot.subject,
      channel: plan.channel,
      thresholdMs: plan.thresholdMs,
      since: plan.since,
      atRiskAt: plan.atRiskAt,
      dueAt: plan.dueAt,
    };
  }

  #close(slot: Slot, at: number, evidence: () => Evidence): void {
    if (slot.caseId !== undefined && this.#book.isUnresolved(slot.caseId)) this.#book.heal(slot.caseId, at, evidence());
    this.#timers.delete(slot.key);
    const bySubject = this.#slots.get(slot.subjectId);
    bySubject?.delete(slot.rule.name);
    if (bySubject?.size === 0) this.#slots.delete(slot.subjectId);
    // Orders come back to their cases; a linked shipment or a past silence rarely does.
    if (slot.subject.kind !== 'order' && slot.caseId !== undefined) this.#book.retire(slot.caseId);
  }
}
