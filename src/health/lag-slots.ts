import { isoTimestamp } from '../golden/iso-timestamp.js';
import { CaseBook, isLaterStage } from './case-book.js';
import { caseIdOf } from './case-id.js';
import type { CaseStage } from './case-steps.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import type { SourceLaggingCondition } from './condition-schema.js';
import type { Rule } from './rule-schema.js';
import type { SourceSystem } from './rule-vocabulary.js';

interface LagSlot {
  readonly caseId: string;
  readonly since: number;
  reached: CaseStage;
}

/** A lag measurement of one source: the statistic's value over `count` recent arrivals. */
export interface LagReading {
  readonly value: number;
  readonly count: number;
  /** The source's arrivals so far: tells episodes that start at the same event time apart. */
  readonly arrivals: number;
}

/**
 * Lag cases, which breach by value rather than by time: at risk once the statistic reaches
 * `share × threshold`, breached at the threshold, self-healed when it falls back below the level
 * that opened the case (the at-risk level when there is one — a hysteresis, so a lag hovering at
 * the threshold does not open a case per arrival). Steps are dated with the watermark.
 */
export class LagSlots {
  readonly #book: CaseBook;
  readonly #slots = new Map<string, LagSlot>();

  constructor(book: CaseBook) {
    this.#book = book;
  }

  liveCaseIds(subject: CaseSubject): Set<string> {
    const prefix = `${subjectKey(subject)}\u0000`;
    return new Set([...this.#slots].filter(([key]) => key.startsWith(prefix)).map(([, slot]) => slot.caseId));
  }

  update(source: SourceSystem, rule: Rule, reading: LagReading, now: number): void {
    const condition = rule.condition as SourceLaggingCondition;
    const subject: CaseSubject = { kind: 'source', id: source };
    const key = `${subjectKey(subject)}\u0000${rule.name}`;
    const warnAt = rule.at_risk_share === undefined ? null : Math.round(rule.at_risk_share * rule.threshold);
    const level: CaseStage | 'none' =
      reading.value >= rule.threshold ? 'breached' : warnAt !== null && reading.value >= warnAt ? 'at_risk' : 'none';
    const evidence = {
      source,
      statistic: condition.statistic,
      lag_ms: reading.value,
      arrivals_measured: reading.count,
    };
    let slot = this.#slots.get(key);
    if (slot !== undefined && reading.value < (warnAt ?? rule.threshold)) {
      this.#book.heal(slot.caseId, now, evidence);
      this.#book.retire(slot.caseId);
      this.#slots.delete(key);
      return;
    }
    if (level === 'none') return;
    if (slot === undefined) {
      slot = { caseId: caseIdOf(subjectKey(subject), rule.name, `from=${isoTimestamp(now)}#${reading.arrivals}`), since: now, reached: level };
      this.#slots.set(key, slot);
    } else if (isLaterStage(level, slot.reached)) {
      slot.reached = level;
    } else {
      return;
    }
    const opening = { caseId: slot.caseId, rule, subject, channel: null, thresholdMs: rule.threshold, since: slot.since, atRiskAt: null, dueAt: null };
    this.#book.reach(opening, level, now, evidence);
  }
}
