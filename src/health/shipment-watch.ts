import { isoTimestamp } from '../golden/iso-timestamp.js';
import type { CaseBook } from './case-book.js';
import { subjectKey, type CaseSubject } from './case-subject.js';
import type { EventClock } from './event-clock.js';
import type { Evidence } from './health-case.js';
import type { ShipmentLinkedInput, ShipmentWaitingInput } from './health-input.js';
import type { PlanSlots } from './plan-slots.js';
import type { Rule } from './rule-schema.js';
import { ShipmentWaits } from './shipment-waits.js';
import { healOrphans } from './subject-cases.js';
import { timedPlan } from './timed-plan.js';

/** The `unlinked_shipment` rules of one engine, fed the linker's waits and links, by tracking number. */
export class ShipmentWatch {
  readonly #rules: readonly Rule[];
  readonly #slots: PlanSlots;
  readonly #book: CaseBook;
  readonly #clock: EventClock;
  readonly #waits = new ShipmentWaits();

  constructor(rules: readonly Rule[], slots: PlanSlots, book: CaseBook, clock: EventClock) {
    this.#rules = rules;
    this.#slots = slots;
    this.#book = book;
    this.#clock = clock;
  }

  /** Tracking numbers waiting for their order. */
  get waiting(): number {
    return this.#waits.size;
  }

  wait(input: ShipmentWaitingInput): void {
    const wait = this.#waits.wait(input.trackingNo, input.eventTime);
    // The event itself proves event time has reached it, whatever the watermark says.
    const now = Math.max(this.#clock.watermark ?? input.eventTime, input.eventTime);
    const subject: CaseSubject = { kind: 'shipment', id: input.trackingNo };
    const evidence: Evidence = { tracking_no: input.trackingNo, waiting_since: isoTimestamp(wait.since), waiting_events: wait.events };
    const told = () => evidence;
    // Named by the oldest waiting event: a worker that rebuilds its waits after a restart finds the
    // case it stored, and a tracking number that waits again later is a new case.
    const anchor = `unlinked@${isoTimestamp(wait.since)}`;
    for (const rule of this.#rules) {
      const plan = timedPlan({ anchor, since: wait.since, thresholdMs: rule.threshold, atRiskShare: rule.at_risk_share, channel: null, endedAt: null, evidence: told });
      this.#slots.update(subject, subjectKey(subject), rule, plan, now, now, told);
    }
  }

  /** The link arrived: the wait ended exactly at `linkedAt` when known, else at the watermark. */
  link(input: ShipmentLinkedInput): void {
    this.#waits.link(input.trackingNo);
    const subject: CaseSubject = { kind: 'shipment', id: input.trackingNo };
    const subjectId = subjectKey(subject);
    const now = this.#clock.watermark ?? input.linkedAt ?? 0;
    for (const rule of this.#rules) {
      const held = this.#slots.planOf(subjectId, rule);
      if (held === undefined) continue;
      const evidence = (): Evidence => ({ ...held.evidence(), order_id: input.orderId });
      const ended = input.linkedAt === null ? null : { ...held, endedAt: input.linkedAt, evidence };
      this.#slots.update(subject, subjectId, rule, ended, now, input.linkedAt ?? now, evidence);
    }
    healOrphans(this.#book, subjectId, () => this.#slots.liveCaseIds(subject), input.linkedAt ?? now);
  }
}
