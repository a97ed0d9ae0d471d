import { isoTimestamp } from '../golden/iso-timestamp.js';
import type { CaseBook } from './case-book.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import type { SourceLaggingCondition, SourceSilentCondition } from './condition-schema.js';
import type { EventClock } from './event-clock.js';
import type { Evidence } from './health-case.js';
import type { Arrival } from './health-input.js';
import { isoMillis } from './iso-millis.js';
import { LagSlots } from './lag-slots.js';
import type { PlanSlots } from './plan-slots.js';
import type { Rule } from './rule-schema.js';
import type { SourceSystem } from './rule-vocabulary.js';
import { SourceMonitor } from './source-monitor.js';
import { healOrphans, openSince } from './subject-cases.js';
import { timedPlan } from './timed-plan.js';

/** The source rules (`source_silent`, `source_lagging`) of one engine, fed arrivals one at a time. */
export class SourceWatch {
  readonly #silent: readonly Rule[];
  readonly #lagging: readonly Rule[];
  readonly #slots: PlanSlots;
  readonly #book: CaseBook;
  readonly #clock: EventClock;
  readonly #monitor: SourceMonitor;
  readonly #lags: LagSlots;
  /** The first event time seen: a source not heard from yet counts as silent since then. */
  #baseline: number | null = null;

  constructor(rules: { silent: readonly Rule[]; lagging: readonly Rule[] }, slots: PlanSlots, book: CaseBook, clock: EventClock) {
    this.#silent = rules.silent;
    this.#lagging = rules.lagging;
    this.#slots = slots;
    this.#book = book;
    this.#clock = clock;
    this.#monitor = new SourceMonitor(rules.lagging.map((rule) => (rule.condition as SourceLaggingCondition).window));
    this.#lags = new LagSlots(book);
  }

  /** Ids of the cases live slots stand for: silences and lags of the source. */
  liveCaseIds(subject: CaseSubject): Set<string> {
    return new Set([...this.#slots.liveCaseIds(subject), ...this.#lags.liveCaseIds(subject)]);
  }

  /** One source event: the watermark moves, then its source's silence and lag are judged. */
  arrival(arrival: Arrival): void {
    this.#monitor.record(arrival.source, arrival.eventTime, arrival.arrivedAt);
    this.#clock.arrived(arrival.arrivedAt);
    this.#clock.observe(arrival.eventTime);
    const now = this.#clock.watermark as number;
    const first = this.#baseline === null;
    const baseline = (this.#baseline ??= arrival.eventTime);
    for (const rule of this.#silent) {
      for (const source of (rule.condition as SourceSilentCondition).sources) {
        if (source !== arrival.source && !first) continue;
        const stored = openSince(this.#book, subjectKey({ kind: 'source', id: source }), rule.name);
        this.#silence(source, rule, this.#monitor.lastEventTime(source) ?? (stored === undefined ? baseline : isoMillis(stored)), now);
      }
    }
    for (const rule of this.#lagging) {
      const condition = rule.condition as SourceLaggingCondition;
      if (!condition.sources.includes(arrival.source)) continue;
      const reading = { ...this.#monitor.lag(arrival.source, condition.statistic, condition.window), arrivals: this.#monitor.arrivals(arrival.source) };
      this.#lags.update(arrival.source, rule, reading, now);
    }
    const subject: CaseSubject = { kind: 'source', id: arrival.source };
    healOrphans(this.#book, subjectKey(subject), () => this.liveCaseIds(subject), now);
  }

  /** The source's newest event is at `lastEventTime`: a silence up to it ended there, a new one starts. */
  #silence(source: SourceSystem, rule: Rule, lastEventTime: number, now: number): void {
    const subject: CaseSubject = { kind: 'source', id: source };
    const subjectId = subjectKey(subject);
    const held = this.#slots.planOf(subjectId, rule);
    if (held !== undefined && held.since >= lastEventTime) return;
    const evidence: Evidence = { source, last_event_at: isoTimestamp(lastEventTime) };
    const told = () => evidence;
    // The source was silent from the held time to this event, exactly: stages in between happened.
    // A plan with no stage before the event has nothing to tell; the new silence replaces it.
    if (held !== undefined && (held.atRiskAt ?? held.dueAt) <= lastEventTime) {
      this.#slots.update(subject, subjectId, rule, { ...held, endedAt: lastEventTime, evidence: told }, now, lastEventTime, told);
    }
    const plan = timedPlan({
      anchor: `last=${isoTimestamp(lastEventTime)}`,
      since: lastEventTime,
      thresholdMs: rule.threshold,
      atRiskShare: rule.at_risk_share,
      channel: null,
      endedAt: null,
      evidence: told,
    });
    this.#slots.update(subject, subjectId, rule, plan, now, lastEventTime, told);
  }
}
