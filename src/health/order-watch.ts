import type { CaseBook } from './case-book.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import type { EventClock } from './event-clock.js';
import type { ViewInput } from './health-input.js';
import { isoMillis } from './iso-millis.js';
import { orderEvidence, orderPlan } from './order-plan.js';
import type { PlanSlots } from './plan-slots.js';
import type { Rule } from './rule-schema.js';
import { healOrphans, openSince } from './subject-cases.js';
import { newestEventTime } from './view-facts.js';

/** The order rules (`waiting`, `exception`) of one engine, fed golden view changes. */
export class OrderWatch {
  readonly #rules: readonly Rule[];
  readonly #slots: PlanSlots;
  readonly #book: CaseBook;
  readonly #clock: EventClock;
  /** The last view version applied per order: a redelivered older change is ignored. */
  readonly #versions = new Map<string, number>();

  constructor(rules: readonly Rule[], slots: PlanSlots, book: CaseBook, clock: EventClock) {
    this.#rules = rules;
    this.#slots = slots;
    this.#book = book;
    this.#clock = clock;
  }

  /**
   * Evaluates every order rule on the new view. The view does not move the watermark, but its own
   * newest event time proves how far event time got for this order: stages due by then are taken.
   */
  view(input: ViewInput): void {
    const last = this.#versions.get(input.orderId);
    if (last !== undefined && input.version <= last) return;
    this.#versions.set(input.orderId, input.version);
    const subject: CaseSubject = { kind: 'order', id: input.orderId };
    const subjectId = subjectKey(subject);
    const { view } = input;
    const watermark = this.#clock.watermark;
    const at = (view === null ? null : newestEventTime(view)) ?? watermark ?? 0;
    const now = Math.max(at, watermark ?? at);
    for (const rule of this.#rules) {
      const held = this.#slots.planOf(subjectId, rule);
      const stored = held === undefined ? openSince(this.#book, subjectId, rule.name) : undefined;
      const plan = view === null ? null : orderPlan(rule, view, at, held?.since ?? (stored === undefined ? undefined : isoMillis(stored)));
      if (plan === null && held === undefined) continue;
      const endEvidence = view === null ? (held?.evidence ?? (() => ({}))) : () => orderEvidence(rule, view);
      this.#slots.update(subject, subjectId, rule, plan, now, at, endEvidence);
    }
    healOrphans(this.#book, subjectId, () => this.#slots.liveCaseIds(subject), at);
  }

  /** Forgets an order's last version (its cases and slots are dropped by the engine). */
  forget(orderId: string): void {
    this.#versions.delete(orderId);
  }
}
